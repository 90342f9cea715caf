import FoundationEssentials

// `task(...)` for bodies of zero to three arguments, each returning a value or nothing. Arguments of
// more than one are carried as a JSON array; use a `Codable` struct for more than three.

/// A task whose body takes no arguments and returns a value.
///
/// - Parameters:
///   - name: The task's name, unique within the library.
///   - description: A sentence on what it does, shown by `baton flow inspect`.
///   - retries: How many times a failed attempt is retried.
///   - retryDelay: How long to wait before each retry.
///   - timeout: How long an attempt may take before it ends as `TimedOut`.
///   - tags: Tags for concurrency limits and filters.
///   - body: The work.
public func task<Output: Codable & Sendable>(
    _ name: String, description: String? = nil, retries: Int = 0, retryDelay: Duration = .zero,
    timeout: Duration? = nil, tags: [String] = [], fileID: String = #fileID, line: Int = #line,
    _ body: @escaping @Sendable () async throws -> Output
) -> FlowTask<NoInput, Output> {
    let options = TaskOptions(
        description: description, retries: retries, retryDelay: retryDelay, timeout: timeout, tags: tags,
        fileID: fileID, line: line)
    return FlowTask(name: name, options: options) { _ in try await body() }
}

/// A task whose body takes no arguments and returns nothing.
///
/// - Parameters:
///   - name: The task's name, unique within the library.
///   - description: A sentence on what it does, shown by `baton flow inspect`.
///   - retries: How many times a failed attempt is retried.
///   - retryDelay: How long to wait before each retry.
///   - timeout: How long an attempt may take before it ends as `TimedOut`.
///   - tags: Tags for concurrency limits and filters.
///   - body: The work.
public func task(
    _ name: String, description: String? = nil, retries: Int = 0, retryDelay: Duration = .zero,
    timeout: Duration? = nil, tags: [String] = [], fileID: String = #fileID, line: Int = #line,
    _ body: @escaping @Sendable () async throws -> Void
) -> FlowTask<NoInput, NoResult> {
    let options = TaskOptions(
        description: description, retries: retries, retryDelay: retryDelay, timeout: timeout, tags: tags,
        fileID: fileID, line: line)
    return FlowTask(name: name, options: options) { _ in try await body(); return NoResult() }
}

/// A task whose body takes one argument and returns a value.
///
/// - Parameters:
///   - name: The task's name, unique within the library.
///   - description: A sentence on what it does, shown by `baton flow inspect`.
///   - retries: How many times a failed attempt is retried.
///   - retryDelay: How long to wait before each retry.
///   - timeout: How long an attempt may take before it ends as `TimedOut`.
///   - tags: Tags for concurrency limits and filters.
///   - body: The work.
///
/// ```swift
/// let extract = task("extract", retries: 3, retryDelay: .seconds(1)) { (city: String) in
///     try await api.reading(for: city)
/// }
/// let reading = try await extract("Boston")
/// ```
public func task<Input: Codable & Sendable, Output: Codable & Sendable>(
    _ name: String, description: String? = nil, retries: Int = 0, retryDelay: Duration = .zero,
    timeout: Duration? = nil, tags: [String] = [], fileID: String = #fileID, line: Int = #line,
    _ body: @escaping @Sendable (Input) async throws -> Output
) -> FlowTask<Input, Output> {
    let options = TaskOptions(
        description: description, retries: retries, retryDelay: retryDelay, timeout: timeout, tags: tags,
        fileID: fileID, line: line)
    return FlowTask(name: name, options: options) { input in try await body(input) }
}

/// A task whose body takes one argument and returns nothing.
///
/// - Parameters:
///   - name: The task's name, unique within the library.
///   - description: A sentence on what it does, shown by `baton flow inspect`.
///   - retries: How many times a failed attempt is retried.
///   - retryDelay: How long to wait before each retry.
///   - timeout: How long an attempt may take before it ends as `TimedOut`.
///   - tags: Tags for concurrency limits and filters.
///   - body: The work.
public func task<Input: Codable & Sendable>(
    _ name: String, description: String? = nil, retries: Int = 0, retryDelay: Duration = .zero,
    timeout: Duration? = nil, tags: [String] = [], fileID: String = #fileID, line: Int = #line,
    _ body: @escaping @Sendable (Input) async throws -> Void
) -> FlowTask<Input, NoResult> {
    let options = TaskOptions(
        description: description, retries: retries, retryDelay: retryDelay, timeout: timeout, tags: tags,
        fileID: fileID, line: line)
    return FlowTask(name: name, options: options) { input in try await body(input); return NoResult() }
}

/// A task whose body takes two arguments and returns a value.
///
/// - Parameters:
///   - name: The task's name, unique within the library.
///   - description: A sentence on what it does, shown by `baton flow inspect`.
///   - retries: How many times a failed attempt is retried.
///   - retryDelay: How long to wait before each retry.
///   - timeout: How long an attempt may take before it ends as `TimedOut`.
///   - tags: Tags for concurrency limits and filters.
///   - body: The work.
public func task<A: Codable & Sendable, B: Codable & Sendable, Output: Codable & Sendable>(
    _ name: String, description: String? = nil, retries: Int = 0, retryDelay: Duration = .zero,
    timeout: Duration? = nil, tags: [String] = [], fileID: String = #fileID, line: Int = #line,
    _ body: @escaping @Sendable (A, B) async throws -> Output
) -> FlowTask<TaskArguments2<A, B>, Output> {
    let options = TaskOptions(
        description: description, retries: retries, retryDelay: retryDelay, timeout: timeout, tags: tags,
        fileID: fileID, line: line)
    return FlowTask(name: name, options: options) { args in try await body(args.a, args.b) }
}

/// A task whose body takes two arguments and returns nothing.
///
/// - Parameters:
///   - name: The task's name, unique within the library.
///   - description: A sentence on what it does, shown by `baton flow inspect`.
///   - retries: How many times a failed attempt is retried.
///   - retryDelay: How long to wait before each retry.
///   - timeout: How long an attempt may take before it ends as `TimedOut`.
///   - tags: Tags for concurrency limits and filters.
///   - body: The work.
public func task<A: Codable & Sendable, B: Codable & Sendable>(
    _ name: String, description: String? = nil, retries: Int = 0, retryDelay: Duration = .zero,
    timeout: Duration? = nil, tags: [String] = [], fileID: String = #fileID, line: Int = #line,
    _ body: @escaping @Sendable (A, B) async throws -> Void
) -> FlowTask<TaskArguments2<A, B>, NoResult> {
    let options = TaskOptions(
        description: description, retries: retries, retryDelay: retryDelay, timeout: timeout, tags: tags,
        fileID: fileID, line: line)
    return FlowTask(name: name, options: options) { args in try await body(args.a, args.b); return NoResult() }
}

/// A task whose body takes three arguments and returns a value.
///
/// - Parameters:
///   - name: The task's name, unique within the library.
///   - description: A sentence on what it does, shown by `baton flow inspect`.
///   - retries: How many times a failed attempt is retried.
///   - retryDelay: How long to wait before each retry.
///   - timeout: How long an attempt may take before it ends as `TimedOut`.
///   - tags: Tags for concurrency limits and filters.
///   - body: The work.
public func task<A: Codable & Sendable, B: Codable & Sendable, C: Codable & Sendable, Output: Codable & Sendable>(
    _ name: String, description: String? = nil, retries: Int = 0, retryDelay: Duration = .zero,
    timeout: Duration? = nil, tags: [String] = [], fileID: String = #fileID, line: Int = #line,
    _ body: @escaping @Sendable (A, B, C) async throws -> Output
) -> FlowTask<TaskArguments3<A, B, C>, Output> {
    let options = TaskOptions(
        description: description, retries: retries, retryDelay: retryDelay, timeout: timeout, tags: tags,
        fileID: fileID, line: line)
    return FlowTask(name: name, options: options) { args in try await body(args.a, args.b, args.c) }
}

/// A task whose body takes three arguments and returns nothing.
///
/// - Parameters:
///   - name: The task's name, unique within the library.
///   - description: A sentence on what it does, shown by `baton flow inspect`.
///   - retries: How many times a failed attempt is retried.
///   - retryDelay: How long to wait before each retry.
///   - timeout: How long an attempt may take before it ends as `TimedOut`.
///   - tags: Tags for concurrency limits and filters.
///   - body: The work.
public func task<A: Codable & Sendable, B: Codable & Sendable, C: Codable & Sendable>(
    _ name: String, description: String? = nil, retries: Int = 0, retryDelay: Duration = .zero,
    timeout: Duration? = nil, tags: [String] = [], fileID: String = #fileID, line: Int = #line,
    _ body: @escaping @Sendable (A, B, C) async throws -> Void
) -> FlowTask<TaskArguments3<A, B, C>, NoResult> {
    let options = TaskOptions(
        description: description, retries: retries, retryDelay: retryDelay, timeout: timeout, tags: tags,
        fileID: fileID, line: line)
    return FlowTask(name: name, options: options) { args in try await body(args.a, args.b, args.c); return NoResult() }
}
