import BatonCore
import Foundation

/// How processes on one store wake each other.
public protocol FeedStore: AnyObject, Sendable {
    /// Wakes every process watching this store for `topic`.
    func ring(_ topic: String)
    /// Starts watching this store's topics.
    func doorbell() throws -> Doorbell
}
