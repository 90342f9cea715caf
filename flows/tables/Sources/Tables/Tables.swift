// tables: discover N input tables at run time, validate each, aggregate, and fail when too few are valid.
import Baton
import Foundation

struct Params: FlowParameters {
    var inputDir = ""
    var count = 8
    var threshold = 0.75
    var seed = 3

    static let parameterDescriptions = [
        "inputDir": "A folder of CSV tables (id,amount,region); empty to generate `count` sample tables",
        "count": "How many sample tables to generate when inputDir is empty",
        "threshold": "The share of valid tables below which the run fails",
        "seed": "Which sample table is broken",
    ]
    static let parameterConstraints: [String: ParameterConstraint] = ["threshold": .range(0.0...1.0)]
}

let discover = task("discover", description: "Find the input tables") {
    (inputDir: String, count: Int) -> [TableInput] in
    if inputDir.isEmpty {
        logger.info("Generating \(count) sample tables")
        return (0..<max(0, count)).map { TableInput(name: "sample-\($0 + 1)", path: nil, index: $0) }
    }
    let names = try FileManager.default.contentsOfDirectory(atPath: inputDir).filter { $0.hasSuffix(".csv") }.sorted()
    logger.info("Found \(names.count) tables in \(inputDir)")
    return names.enumerated().map { TableInput(name: $1, path: (inputDir as NSString).appendingPathComponent($1), index: $0) }
}

let validate = task("validate", description: "Check a table's header and rows") {
    (input: TableInput, seed: Int) -> TableReport in
    let text = try input.path.map { try String(contentsOfFile: $0, encoding: .utf8) } ?? SampleTables.make(input.index, seed: seed)
    let report = TableReport.check(name: input.name, csv: text)
    if report.valid {
        logger.info("\(input.name): \(report.rows) rows, total \(report.total)")
    } else {
        logger.warning("\(input.name) is invalid: \(report.problems.joined(separator: "; "))")
    }
    return report
}

let aggregate = task("aggregate", description: "Sum the valid tables and measure the valid share") {
    (reports: [TableReport]) -> Summary in
    let valid = reports.filter(\.valid)
    return Summary(
        tables: reports.count, valid: valid.count, rows: valid.reduce(0) { $0 + $1.rows },
        total: valid.reduce(0) { $0 + $1.total }, validShare: reports.isEmpty ? 0 : Double(valid.count) / Double(reports.count),
        invalid: reports.filter { !$0.valid }.map(\.name))
}

let tables = Flow(
    "tables", description: "Validate a set of tables discovered at run time and aggregate the valid ones"
) { (params: Params) -> Summary in
    let inputs = try await discover(params.inputDir, params.count)
    var reports: [TableReport] = []
    for input in inputs {
        reports.append(try await validate(input, params.seed))
    }
    let summary = try await aggregate(reports)
    let percent = Int((summary.validShare * 100).rounded())
    guard summary.validShare >= params.threshold else {
        throw TablesError(
            description: "only \(percent)% of the tables are valid (\(summary.valid) of \(summary.tables)), below the "
                + "threshold of \(Int((params.threshold * 100).rounded()))%; invalid: \(summary.invalid.joined(separator: ", "))")
    }
    logger.info("\(percent)% of \(summary.tables) tables are valid; total \(summary.total)")
    return summary
}
