import BatonCore
import Foundation

/// What engines share while they run: cached results and concurrency limits.
public protocol EngineStore: AnyObject, Sendable {
    /// The cached result for a key, unless there is none or it expired at `now`.
    func cachedResult(key: String, now: Date) throws -> CacheHit?
    /// Removes cached results, of one task or all; returns how many.
    func clearCache(task: String?) throws -> Int

    /// Sets a global concurrency limit on a tag.
    func setLimit(tag: String, slots: Int) throws
    /// Removes a limit and its slots; returns whether there was one.
    func removeLimit(tag: String) throws -> Bool
    /// Every limit with how many of its slots are taken.
    func limits() throws -> [ConcurrencyLimit]
    /// Takes a slot of every limited tag for a task run, all or none; false when a limit is full.
    func acquireSlots(tags: [String], taskRunID: String, flowRunID: String, holder: ProcessIdentity) throws -> Bool
    /// Gives back a task run's slots; returns whether it held any.
    func releaseSlots(taskRunID: String) throws -> Bool
    /// Gives back every slot of a flow run's task runs; returns whether there were any.
    func releaseSlots(flowRunID: String) throws -> Bool
}
