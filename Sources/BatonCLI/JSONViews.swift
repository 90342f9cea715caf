import BatonCore
import Foundation

/// The JSON that `--json` prints: stable field names for scripts.
struct RunView: Encodable {
    var id: String
    var name: String
    var flow: String
    var version: Int
    var state: String
    var stateName: String
    var message: String?
    var parameters: [String: JSONValue]
    var result: JSONValue?
    var createdAt: Date
    var startTime: Date?
    var endTime: Date?
    var durationSeconds: Double?
    var attempt: Int
    var rerunOf: String?
    var parentFlowRunID: String?
    var parentTaskRunID: String?
    var deployment: String?
    var scheduledTime: Date?
    var pool: String?
    var workerID: String?

    init(_ run: FlowRunRecord) {
        deployment = run.deployment
        scheduledTime = run.scheduledTime
        pool = run.pool
        workerID = run.workerID
        id = run.id
        name = run.name
        flow = run.flow
        version = run.version
        state = run.state.type.rawValue
        stateName = run.state.name
        message = run.state.message
        parameters = run.parameters
        result = run.result
        createdAt = run.createdAt
        startTime = run.startTime
        endTime = run.endTime
        durationSeconds = run.duration()
        attempt = run.attempt
        rerunOf = run.rerunOf
        parentFlowRunID = run.parentFlowRunID
        parentTaskRunID = run.parentTaskRunID
    }
}

struct VersionView: Encodable {
    var flow: String
    var version: Int
    var hash: String
    var label: String?
    var registeredAt: Date
    var registeredBy: String?
    var sourcePath: String?
    var library: String
    var description: String?
    var schedule: ScheduleSpec?
    var parameters: JSONValue

    init(_ v: VersionRecord) {
        flow = v.flow
        version = v.number
        hash = v.libraryHash
        label = v.label
        registeredAt = v.registeredAt
        registeredBy = v.registeredBy
        sourcePath = v.sourcePath
        library = v.libraryPath
        description = v.manifest.description
        schedule = v.manifest.schedule
        parameters = v.manifest.parameters
    }
}
