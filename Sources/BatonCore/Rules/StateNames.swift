/// The names a state's variations carry, written once: host code compares and records these
/// constants, never a bare string. The SDK (`Baton`) keeps its own copy, as it depends on nothing
/// of the host.
public enum StateName {
    public static let scheduled = "Scheduled"
    /// A scheduled run of a deployment not started within the grace period after its time.
    public static let late = "Late"
    /// A run or task run waiting out its retry delay.
    public static let awaitingRetry = "AwaitingRetry"
    public static let pending = "Pending"
    /// A failed, crashed or cancelled run taken up again as its next attempt, reusing completed results.
    public static let resuming = "Resuming"
    public static let running = "Running"
    /// A running attempt after the first.
    public static let retrying = "Retrying"
    public static let completed = "Completed"
    /// A completed task run whose result came from the cache or an earlier attempt.
    public static let cached = "Cached"
    public static let failed = "Failed"
    /// A failed run or task run that exceeded its timeout.
    public static let timedOut = "TimedOut"
    public static let crashed = "Crashed"
    public static let cancelling = "Cancelling"
    public static let cancelled = "Cancelled"
}
