import BatonCore
import Foundation

/// Workers and their claims on queued runs, as persistence primitives: which run a claim takes is
/// the store's (atomically); what a worker does with it is the application layer's.
public protocol WorkerStore: AnyObject, Sendable {}
