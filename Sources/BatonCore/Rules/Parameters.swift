/// The parameters of a new run resolved once, by the code that creates the run: the local backend,
/// the API, deployments and the scheduler all call this, never ``ParameterSchema/resolve(_:)`` itself,
/// so a run sent to a server is checked there only.
extension FlowManifest {
    /// The complete parameters of a run of version `version` of this flow: `given` checked, defaults
    /// filled in. For a rerun (`rerunOf` names the original run) a refusal says that the original's
    /// parameters do not fit the version.
    public func resolveRunParameters(
        _ given: [String: JSONValue], version: Int, rerunOf original: String? = nil
    ) throws -> [String: JSONValue] {
        do {
            return try parameterSchema().resolve(given)
        } catch let error as BatonError {
            guard let original else { throw error }
            throw BatonError(
                .invalidParameter, "the parameters of run '\(original)' do not fit version \(version): \(error.message)",
                field: error.field)
        }
    }
}

extension VersionRecord {
    /// The complete parameters of a run of this version; see ``FlowManifest/resolveRunParameters(_:version:rerunOf:)``.
    public func resolveRunParameters(_ given: [String: JSONValue], rerunOf original: String? = nil) throws -> [String: JSONValue] {
        try manifest.resolveRunParameters(given, version: number, rerunOf: original)
    }
}
