/// The scheduler's home: the arithmetic of schedules (when a cron, interval or RFC 5545 rule fires,
/// in which zone), the scheduling pass that turns due slots into runs exactly once, and which
/// process leads it. `BatonCore` keeps the values (`ScheduleSpec`, deployments); the store keeps the
/// slots.
public enum BatonSchedule {}
