import Foundation

struct TablesError: Error, CustomStringConvertible {
    let description: String
}

struct TableInput: Codable, Sendable {
    var name: String
    var path: String?
    var index: Int
}

struct TableReport: Codable, Sendable {
    var name: String
    var rows: Int
    var total: Double
    var valid: Bool
    var problems: [String]

    /// A table is valid when its header has `id` and `amount` and every row has a numeric amount.
    static func check(name: String, csv: String) -> TableReport {
        let lines = csv.split(whereSeparator: \.isNewline).map(String.init)
        guard let header = lines.first?.split(separator: ",").map({ $0.trimmingCharacters(in: .whitespaces) }) else {
            return TableReport(name: name, rows: 0, total: 0, valid: false, problems: ["the table is empty"])
        }
        guard header.contains("id"), let amount = header.firstIndex(of: "amount") else {
            return TableReport(name: name, rows: 0, total: 0, valid: false, problems: ["the header lacks id or amount"])
        }
        var problems: [String] = []
        var total = 0.0
        for (number, line) in lines.dropFirst().enumerated() {
            let cells = line.split(separator: ",", omittingEmptySubsequences: false)
            if amount < cells.count, let value = Double(cells[amount].trimmingCharacters(in: .whitespaces)) {
                total += value
            } else {
                problems.append("row \(number + 1) has no numeric amount")
            }
        }
        if lines.count < 2 { problems.append("the table has no rows") }
        return TableReport(
            name: name, rows: lines.count - 1, total: (total * 100).rounded() / 100, valid: problems.isEmpty, problems: problems)
    }
}

struct Summary: Codable, Sendable {
    var tables: Int
    var valid: Int
    var rows: Int
    var total: Double
    var validShare: Double
    var invalid: [String]
}

/// Sample tables: deterministic, with the table at `seed % count` broken.
enum SampleTables {
    static func make(_ index: Int, seed: Int) -> String {
        let regions = ["north", "south", "east", "west"]
        var lines = ["id,amount,region"]
        for row in 0..<(5 + index % 4) {
            let amount = Double((index + 1) * 100 + row * 7 + seed) / 4
            lines.append("\(index * 100 + row),\(amount),\(regions[(index + row) % 4])")
        }
        if index == seed % 8 { lines.append("\(index * 100 + 99),n/a,\(regions[0])") }
        return lines.joined(separator: "\n")
    }
}
