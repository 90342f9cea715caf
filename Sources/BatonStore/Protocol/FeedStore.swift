import BatonCore
import Foundation

/// How processes on one store wake each other, and the live-events feed: what changed past a position.
public protocol FeedStore: AnyObject, Sendable {
    /// Wakes every process watching this store for `topic`.
    func ring(_ topic: String)
    /// Starts watching this store's topics.
    func doorbell() throws -> any StoreDoorbell
    /// Starts watching this store's topics and every committed write to it, by any process (the
    /// topic `changes`): the live-events feed's wake-up.
    func changeDoorbell() throws -> any StoreDoorbell

    /// The end of each feed table now: a feed starts from here.
    func feedPosition() throws -> FeedPosition
    /// Changes past `position`, at most `limit` states and `limit` log lines at a time; every change
    /// once, in order. `more` says whether a table was read up to the limit.
    func changes(after position: FeedPosition, limit: Int) throws -> FeedChanges
    /// Flow runs that are under way (pending, running, cancelling): the feed watches their task runs.
    func activeFlowRunIDs() throws -> [String]
}

/// A watch on a store's wake-ups: `fd` becomes readable when something rang; poll it, then `drain`.
public protocol StoreDoorbell: AnyObject {
    /// A file descriptor that becomes readable when a topic rings.
    var fd: Int32 { get }
    /// The topics that rang since the last call.
    func drain() -> Set<String>
}
