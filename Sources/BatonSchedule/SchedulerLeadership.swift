import BatonStore

/// Who may run the scheduling pass: one process per store at a time, the holder of the store's
/// `scheduler` lease (a lock file beside a SQLite store, an advisory lock of a PostgreSQL one).
public enum SchedulerLeadership {
    /// The name of the scheduler's lease.
    public static let leaseName = "scheduler"

    /// The scheduler's lease of `store`.
    public static func lease(_ store: any Store) throws -> any Lease { try store.lease(leaseName) }
}
