import BatonCore
import Foundation
import Testing

@Suite struct VersionChoiceTests {
    @Test func latestAndWholeNumbersFromOneAreVersions() {
        #expect(VersionChoice("latest") == .latest)
        #expect(VersionChoice("1") == .number(1))
        #expect(VersionChoice("12") == .number(12))
        #expect(VersionChoice("latest")?.number == nil)
        #expect(VersionChoice("3")?.number == 3)
    }

    @Test func anythingElseIsNotAVersion() {
        for text in ["0", "-1", "", "Latest", "2.0", "v2", " 2", "newest"] {
            #expect(VersionChoice(text) == nil, "\(text)")
        }
    }

    @Test func aRefusalNamesTheInputAndWhatWasExpected() throws {
        #expect(throws: BatonError.self) { try VersionChoice(parsing: "0", naming: "--version") }
        do {
            _ = try VersionChoice(parsing: "0", naming: "--version")
        } catch let error as BatonError {
            #expect(error.code == .invalidInput)
            #expect(error.message == "--version '0' is not valid: expected a version number such as 2, or latest")
        } catch {
            Issue.record("unexpected error \(error)")
        }
        #expect(try VersionChoice(parsing: "latest", naming: "--version") == .latest)
    }
}

@Suite struct ResumeReuseTests {
    func run(_ type: StateType, _ name: String? = nil, attempt: Int) -> FlowRunRecord {
        FlowRunRecord(
            id: "r1", name: "brave-otter", flow: "demo", version: 1, state: RunState(type, name: name), parameters: [:],
            result: nil, createdAt: Date(timeIntervalSince1970: 0), startTime: nil, endTime: nil, attempt: attempt, rerunOf: nil)
    }

    @Test func aResumedRunReusesWhetherPendingLocallyOrClaimedByAWorker() {
        #expect(run(.pending, StateName.resuming, attempt: 2).reusesCompletedResults)
        #expect(run(.scheduled, StateName.resuming, attempt: 3).reusesCompletedResults)
    }

    @Test func aRetryAfterACrashRunsEveryTaskAgainThoughItsAttemptGrew() {
        #expect(!run(.pending, StateName.pending, attempt: 2).reusesCompletedResults)
        #expect(!run(.scheduled, StateName.awaitingRetry, attempt: 2).reusesCompletedResults)
    }

    @Test func aNewRunOrRerunReusesNothing() {
        #expect(!run(.pending, attempt: 1).reusesCompletedResults)
        #expect(!run(.scheduled, attempt: 1).reusesCompletedResults)
    }
}

@Suite struct RunParameterResolutionTests {
    let version = VersionRecord(
        flow: "demo", number: 3, libraryHash: "abc", libraryPath: "/tmp/libdemo.so",
        manifest: FlowManifest(
            name: "demo",
            parameters: try! JSONValue(json: #"{"type": "object", "properties": {"days": {"type": "integer", "default": 7, "position": 0}}}"#),
            resultType: "Int"),
        registeredAt: Date(timeIntervalSince1970: 0), registeredBy: nil, sourcePath: nil, label: nil)

    @Test func givenValuesAreCheckedAndDefaultsFilledIn() throws {
        #expect(try version.resolveRunParameters([:]) == ["days": .int(7)])
        #expect(try version.resolveRunParameters(["days": .int(2)]) == ["days": .int(2)])
    }

    @Test func aNewRunKeepsTheSchemasOwnMessage() {
        do {
            _ = try version.resolveRunParameters(["cty": .string("x")])
            Issue.record("an unknown parameter was taken")
        } catch let error as BatonError {
            #expect(error.code == .invalidParameter)
            #expect(error.message == "unknown parameter 'cty' for flow 'demo'; its parameters are: days")
        } catch {
            Issue.record("unexpected error \(error)")
        }
    }

    @Test func aRerunSaysTheOriginalsParametersDoNotFitTheVersion() {
        do {
            _ = try version.resolveRunParameters(["days": .string("x")], rerunOf: "brave-otter")
            Issue.record("a mistyped parameter was taken")
        } catch let error as BatonError {
            #expect(error.code == .invalidParameter)
            #expect(error.field == "days")
            #expect(error.message.hasPrefix("the parameters of run 'brave-otter' do not fit version 3: parameter 'days' of flow 'demo'"))
        } catch {
            Issue.record("unexpected error \(error)")
        }
    }
}
