import BatonCore
import Foundation

/// Deployments and their scheduling slots, as persistence primitives: the rules live in the
/// application layer (BatonServices) and the scheduler (BatonSchedule).
public protocol DeploymentStore: AnyObject, Sendable {}
