import BatonCore
import Foundation

extension SQLStore {
    /// See ``RunStore/updateFlowRun(_:if:_:)``: the guard is read and the change written in one
    /// transaction, so of two callers racing on one run only one finds the guard holding.
    public func updateFlowRun(_ flowRunID: String, if guardedBy: RunGuard, _ change: RunChange) throws -> FlowRunRecord? {
        let applied = try write { db -> Bool in
            let admitted = try db.query(
                "SELECT state_type, state_name, attempt, worker_id, supervisor_pid, supervisor_start FROM flow_runs WHERE id = ?",
                [.text(flowRunID)]
            ) { row -> Bool in
                let supervisor = row.isNull(4) || row.isNull(5) ? nil : ProcessIdentity(pid: Int32(row.int(4)), stored: row.text(5))
                return guardedBy.admits(
                    state: StateType(rawValue: row.text(0)) ?? .crashed, stateName: row.text(1), attempt: Int(row.int(2)),
                    workerID: row.optionalText(3), supervisor: supervisor)
            }.first ?? false
            guard admitted else { return false }
            var assignments: [String] = []
            var values: [SQLValue] = []
            switch change.workerID {
            case .keep: break
            case .set(let id):
                assignments.append("worker_id = ?")
                values.append(.text(id))
            case .clear: assignments.append("worker_id = NULL")
            }
            switch change.supervisor {
            case .keep: break
            case .set(let process):
                assignments.append("supervisor_pid = ?, supervisor_start = ?")
                values += [.int(Int64(process.pid)), .text(process.stored)]
            case .clear: assignments.append("supervisor_pid = NULL, supervisor_start = NULL")
            }
            if let pool = change.pool {
                assignments.append("pool = ?")
                values.append(.text(pool))
            }
            if let time = change.scheduledTime {
                assignments.append("scheduled_time = ?")
                values.append(time.sqlValue)
            }
            if !assignments.isEmpty {
                try db.run("UPDATE flow_runs SET \(assignments.joined(separator: ", ")) WHERE id = ?", values + [.text(flowRunID)])
            }
            if let state = change.state {
                try apply(.flowRunState(FlowRunStateChange(flowRunID: flowRunID, state: state, attempt: change.attempt)), db)
            } else if let attempt = change.attempt {
                try db.run("UPDATE flow_runs SET attempt = ? WHERE id = ?", [.int(Int64(attempt)), .text(flowRunID)])
            }
            if change.releaseSlots { try db.run("DELETE FROM concurrency_slots WHERE flow_run_id = ?", [.text(flowRunID)]) }
            return true
        }
        return applied ? try flowRun(flowRunID, project: nil) : nil
    }

    /// The process recorded as supervising a run, if any.
    public func supervisor(of flowRunID: String) throws -> ProcessIdentity? {
        try withConnection { db in
            try db.query("SELECT supervisor_pid, supervisor_start FROM flow_runs WHERE id = ?", [.text(flowRunID)]) { row in
                row.isNull(0) || row.isNull(1) ? nil : ProcessIdentity(pid: Int32(row.int(0)), stored: row.text(1))
            }.first ?? nil
        }
    }
}
