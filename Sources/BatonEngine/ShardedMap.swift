import BatonCore
import Synchronization

/// A map from context ids to values that many threads change at once, split over shards with a lock
/// each, so that threads starting and finishing different task runs rarely wait for each other.
///
/// Context ids come from a counter, so consecutive ids fall into different shards. One lock for all
/// of them was measured to convoy under a 100,000-way map: every body thread queued on it in turn.
final class ShardedMap<Value: Sendable>: Sendable {
    private static var shardCount: Int { 64 }
    private let shards: [Shard]

    private final class Shard: Sendable {
        let map = Locked<[UInt: Value]>([:])
    }

    init() {
        shards = (0..<Self.shardCount).map { _ in Shard() }
    }

    private func shard(_ key: UInt) -> Shard { shards[Int(key % UInt(Self.shardCount))] }

    subscript(key: UInt) -> Value? {
        get { shard(key).map.withLock { $0[key] } }
        set { shard(key).map.withLock { $0[key] = newValue } }
    }

    /// Removes the key and returns what it held.
    @discardableResult
    func remove(_ key: UInt) -> Value? {
        shard(key).map.withLock { $0.removeValue(forKey: key) }
    }

    /// Everything held now, shard by shard (not one consistent snapshot).
    var all: [(key: UInt, value: Value)] {
        shards.flatMap { shard in shard.map.withLock { Array($0) } }
    }
}
