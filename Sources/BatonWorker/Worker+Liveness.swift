import BatonCore
import BatonRunner
import BatonServices
import BatonStore
import Foundation

#if canImport(Glibc)
import Glibc
#endif

/// How the scheduling worker learns that another process on the store died: a worker (its runs are
/// crashed) or the supervisor of a run (a `baton run`, a worker's run; the run is crashed). Both
/// wait on lock files the dead process held, so a death is noticed the moment it happens.
extension Worker {
    /// Waits on the lock of every other live worker of this store's home on this machine; any other
    /// worker (on another host, through the API, or of another home on this database) is ended when
    /// its process is seen gone on this host or it has been silent for three of its heartbeat
    /// periods, checked again when the first of them would be (`silenceCheck`).
    func watchWorkers(except me: WorkerRecord) throws {
        let now = Date()
        var nextSilence: Date?
        for worker in try services.workers.records(includeStopped: false, limit: 10_000, caller) where worker.id != me.id {
            if lock.withLock({ watched.contains(worker.id) }) { continue }
            // Workers lock before they announce themselves; one whose lock is not in this home has
            // none to wait on here.
            let path = home.locksPath + "/worker-\(worker.id).lock"
            guard worker.host == me.host, let workerLock = ProcessLock.existing(path: path) else {
                let process = ProcessIdentity(of: worker)
                let silentAfter = worker.silentAfter(watchedSince: lock.withLock { leaderSince } ?? now)
                if (process.isLocal && !process.isAlive) || now >= silentAfter {
                    lock.withLock { dead.append(worker.id) }
                } else {
                    nextSilence = min(nextSilence ?? silentAfter, silentAfter)
                }
                continue
            }
            guard lock.withLock({ watched.insert(worker.id).inserted }) else { continue }
            ProcessLock.whenAcquired(workerLock, shared: true) { [self] in
                workerLock.unlock()
                lock.withLock {
                    watched.remove(worker.id)
                    dead.append(worker.id)
                }
                wakeup.ring(Wake.workerGone.rawValue)
            }
        }
        lock.withLock { silenceCheck = nextSilence }
    }

    /// Ends the runs of workers found dead. A worker recorded as stopped is not skipped: one taken
    /// for gone while it lived announced itself again, and may hold runs when it really dies.
    func reapDead() throws {
        let gone = lock.withLock { () -> [String] in
            defer { dead = [] }
            return dead
        }
        for id in gone {
            guard let worker = (try? services.workers.record(id, caller)) ?? nil else { continue }
            let runs = try services.workers.reap(id, reason: worker.goneReason, caller)
            if worker.stoppedAt == nil || !runs.isEmpty {
                say("worker '\(worker.name)' is gone" + (runs.isEmpty ? "" : ": \(runs.count) of its run(s) crashed and were rescheduled if their flow retries"))
            }
        }
    }

    /// Waits on the lock of every run attempt being supervised, so that the death of its supervisor
    /// (a `baton run` killed, say) is noticed at once; a supervisor without a lock file is judged by
    /// whether its process lives.
    func watchSupervisors() throws {
        for run in try services.store.supervisedRuns() {
            let key = "\(run.flowRunID)-\(run.attempt)"
            guard lock.withLock({ watchedRuns.insert(key).inserted }) else { continue }
            let path = SupervisorLiveness.lockPath(locks: home.locksPath, flowRunID: run.flowRunID, attempt: run.attempt)
            guard let runLock = ProcessLock.existing(path: path) else {
                lock.withLock {
                    watchedRuns.remove(key)
                    if !run.supervisor.isAlive { orphansDue = true }
                }
                continue
            }
            ProcessLock.whenAcquired(runLock, shared: true) { [self] in
                runLock.unlock()
                lock.withLock {
                    watchedRuns.remove(key)
                    orphansDue = true
                }
                wakeup.ring(Wake.supervisorGone.rawValue)
            }
        }
    }

    /// Crashes the runs whose supervisor is gone, retrying those whose flow retries.
    func sweepOrphans() throws {
        lock.withLock { orphansDue = false }
        let recovered = try services.runs.sweepOrphans(pool: options.pool, caller)
        if let line = RunService.summary(recovered) { say(line) }
    }
}
