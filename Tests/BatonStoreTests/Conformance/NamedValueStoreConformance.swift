import BatonCore
import BatonStore
import BatonTestSupport
import Foundation
import Testing

/// What every backend records of secrets and variables: one per project, kind and name, replaced in
/// place, gone with their project.
@Suite struct NamedValueStoreConformance {
    let t0 = Date(timeIntervalSince1970: 1_800_000_000)

    func value(_ kind: NamedValueKind, _ name: String, _ value: String, project: String = ProjectNames.default, at: Date? = nil) -> NamedValueRecord {
        NamedValueRecord(kind: kind, project: project, name: name, value: value, setBy: "ada", setAt: at ?? t0)
    }

    @Test(arguments: StoreBackend.all)
    func valuesAreKeptPerProjectKindAndName(_ backend: StoreBackend) throws {
        let store = try backend.make().store
        #expect(try store.insertProject("other", at: t0))
        #expect(try !store.setNamedValue(value(.secret, "token", "v1.sealed-a")))
        #expect(try !store.setNamedValue(value(.variable, "token", "plain")), "a variable may share a secret's name")
        #expect(try !store.setNamedValue(value(.secret, "token", "v1.sealed-b", project: "other")))
        #expect(try store.setNamedValue(value(.secret, "token", "v1.sealed-c", at: t0.addingTimeInterval(5))), "replaced")
        let token = try #require(try store.namedValue(.secret, name: "token", project: ProjectNames.default))
        #expect(token.value == "v1.sealed-c" && token.setAt == t0.addingTimeInterval(5) && token.setBy == "ada")
        #expect(try store.namedValue(.variable, name: "token", project: ProjectNames.default)?.value == "plain")
        #expect(try store.namedValue(.secret, name: "token", project: "other")?.value == "v1.sealed-b")
        #expect(try store.namedValue(.secret, name: "none", project: ProjectNames.default) == nil)
        _ = try store.setNamedValue(value(.secret, "alpha", "v1.x"))
        #expect(try store.namedValues(.secret, project: ProjectNames.default).map(\.name) == ["alpha", "token"])
        #expect(try store.removeNamedValue(.secret, name: "alpha", project: ProjectNames.default))
        #expect(try !store.removeNamedValue(.secret, name: "alpha", project: ProjectNames.default))
        #expect(throws: BatonError.self) { try store.setNamedValue(value(.secret, "x", "y", project: "missing")) }
        // A project deleted takes its values with it.
        #expect(try store.deleteProject("other") == [])
        #expect(try store.namedValues(.secret, project: "other").isEmpty)
        #expect(try store.namedValue(.secret, name: "token", project: ProjectNames.default) != nil)
    }
}
