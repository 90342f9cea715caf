import BatonCore
import Foundation

/// What engines share while they run: cached results and concurrency limits.
public protocol EngineStore: AnyObject, Sendable {
    /// The cached result for a key in the project of the run `flowRunID`, unless there is none or
    /// it expired at `now`: caches are per project.
    func cachedResult(key: String, forRun flowRunID: String, now: Date) throws -> CacheHit?
    /// Removes a project's cached results, of one task or all; returns how many.
    func clearCache(task: String?, project: String) throws -> Int

    /// Sets a project's concurrency limit on a tag.
    func setLimit(tag: String, slots: Int, project: String) throws
    /// Removes a project's limit and its slots; returns whether there was one.
    func removeLimit(tag: String, project: String) throws -> Bool
    /// Every limit of a project with how many of its slots are taken.
    func limits(project: String) throws -> [ConcurrencyLimit]
    /// Takes a slot of every tag limited in the run's project for a task run, all or none; false
    /// when a limit is full.
    func acquireSlots(tags: [String], taskRunID: String, flowRunID: String, holder: ProcessIdentity) throws -> Bool
    /// Gives back a task run's slots; returns whether it held any.
    func releaseSlots(taskRunID: String) throws -> Bool
    /// Gives back every slot of a flow run's task runs; returns whether there were any.
    func releaseSlots(flowRunID: String) throws -> Bool
}
