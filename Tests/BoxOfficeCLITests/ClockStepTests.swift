import Foundation
import TestSupport
import Testing

/// `boxoffice` whose wall clock steps between commands (``SteppedClock``), as NTP correcting a bad
/// clock would: a hold lives its time to live on the boot clock, not an hour more or less.
@Suite struct HoldClockStepTests {
    @Test func aHoldExpiresAfterItsTimeWhenTheClockStepsBack() throws {
        let node = try CLINode()
        let clock = try SteppedClock(directory: node.directory.path)
        let environment = node.environment(session: node.cashierSession).merging(clock.environment) { $1 }
        func boxoffice(_ arguments: [String]) throws -> ProcessResult {
            try ProcessRunner.run(CLINode.binary, arguments, environment: environment)
        }
        func held() throws -> Int? {
            let result = try boxoffice(["availability", "SHOW", "--json"])
            let document = try JSONSerialization.jsonObject(with: Data(result.stdout.utf8)) as? [String: Any]
            let categories = document?["categories"] as? [[String: Any]]
            return categories?.first { $0["code"] as? String == "GA" }?["held"] as? Int
        }
        let hold = try boxoffice(["hold", "SHOW", "--category", "GA", "--qty", "2", "--ttl", "2s"])
        #expect(hold.status == 0, "\(hold.stderr)")
        try clock.set(offset: -3600)
        #expect(
            try waitUntil(timeout: 30) { try held() == 0 } != nil,
            "a 2-second hold outlived its time by the clock's step back")

        let kept = try boxoffice(["hold", "SHOW", "--category", "GA", "--qty", "3", "--ttl", "10m"])
        #expect(kept.status == 0, "\(kept.stderr)")
        try clock.set(offset: 3600)
        #expect(try held() == 3, "the clock's step forward ended a 10-minute hold")
        #expect(try node.inventoryViolations().isEmpty)
    }
}
