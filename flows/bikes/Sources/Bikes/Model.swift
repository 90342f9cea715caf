import Foundation

struct BikesError: Error, CustomStringConvertible {
    let description: String
}

/// A GBFS-style feed of station status merged with station information.
struct Feed: Codable, Sendable {
    struct Payload: Codable, Sendable { var stations: [Station] }
    var lastUpdated: Int
    var data: Payload

    enum CodingKeys: String, CodingKey {
        case lastUpdated = "last_updated"
        case data
    }
}

struct Station: Codable, Sendable {
    var id: String
    var name: String
    var capacity: Int
    var bikes: Int
    var docks: Int
    var lat: Double
    var lon: Double

    enum CodingKeys: String, CodingKey {
        case id = "station_id"
        case name, capacity, lat, lon
        case bikes = "num_bikes_available"
        case docks = "num_docks_available"
    }
}

/// A station with the columns the flow adds.
struct StationRow: Codable, Sendable {
    var id: String
    var name: String
    var capacity: Int
    var bikes: Int
    var docks: Int
    var utilisation: Double
    var nearlyEmpty: Bool
    var full: Bool
    var fetchedAt: String

    init(station: Station, emptyBelow: Int) {
        id = station.id
        name = station.name
        capacity = station.capacity
        bikes = station.bikes
        docks = station.docks
        utilisation = station.capacity == 0 ? 0 : (Double(station.bikes) / Double(station.capacity) * 1000).rounded() / 1000
        nearlyEmpty = station.bikes < emptyBelow
        full = station.docks == 0
        fetchedAt = ISO8601DateFormatter().string(from: Date())
    }

    static let header = "station_id,name,capacity,bikes,docks,utilisation,nearly_empty,full,fetched_at"

    var csvLine: String {
        let quotedName = "\"" + name.replacingOccurrences(of: "\"", with: "\"\"") + "\""
        return [id, quotedName, "\(capacity)", "\(bikes)", "\(docks)", "\(utilisation)", "\(nearlyEmpty)", "\(full)", fetchedAt]
            .joined(separator: ",")
    }
}

struct Summary: Codable, Sendable {
    var stations: Int
    var bikesAvailable: Int
    var utilisation: Double
    var csv: String
}

/// The built-in sample feed, so the flow runs offline.
let sampleFeed = """
    {"last_updated": 1763733600, "data": {"stations": [
      {"station_id": "A32000", "name": "Harvard Square", "capacity": 23, "num_bikes_available": 9, "num_docks_available": 14, "lat": 42.3733, "lon": -71.1189},
      {"station_id": "A32001", "name": "Kendall T", "capacity": 27, "num_bikes_available": 1, "num_docks_available": 26, "lat": 42.3625, "lon": -71.0862},
      {"station_id": "A32002", "name": "Boston Common", "capacity": 19, "num_bikes_available": 19, "num_docks_available": 0, "lat": 42.3550, "lon": -71.0656},
      {"station_id": "A32003", "name": "South Station", "capacity": 47, "num_bikes_available": 22, "num_docks_available": 25, "lat": 42.3523, "lon": -71.0552},
      {"station_id": "A32004", "name": "Fenway Park", "capacity": 15, "num_bikes_available": 0, "num_docks_available": 15, "lat": 42.3467, "lon": -71.0972},
      {"station_id": "A32005", "name": "MIT at Mass Ave", "capacity": 35, "num_bikes_available": 12, "num_docks_available": 23, "lat": 42.3581, "lon": -71.0936}
    ]}}
    """
