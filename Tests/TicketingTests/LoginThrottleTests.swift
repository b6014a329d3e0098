import Foundation
import Synchronization
import TestSupport
import Testing

@testable import Ticketing

/// Wrong passwords tried at once for one name, each on a connection of its own (as the API's
/// workers and several tills do): the throttle lets no more through than it would one at a time.
@Suite struct LoginThrottleTests {
    /// The outcome of each of `attempts` logins as `name` with a wrong password, all started at
    /// once, each on its own thread and connection: how many were checked (a wrong password) and
    /// how many refused before any check, by reason.
    private func guessAtOnce(_ h: NodeHarness, _ name: String, attempts: Int) throws -> [String: Int] {
        let nodes = try (0..<attempts).map { _ in NodeBox(try VenueNode.open(path: h.path, clock: h.clock)) }
        let outcomes = Mutex<[String: Int]>([:])
        let ready = DispatchSemaphore(value: 0)
        let start = DispatchSemaphore(value: 0)
        let done = DispatchGroup()
        for (index, box) in nodes.enumerated() {
            done.enter()
            Thread {
                ready.signal()
                start.wait()
                let outcome: String
                do {
                    _ = try box.node.users.login(name: name, password: "wrong-password-\(index)")
                    outcome = "signed in"
                } catch TicketingError.notLoggedIn {
                    outcome = "checked"
                } catch {
                    outcome = ErrorReport.of(error).code
                }
                outcomes.withLock { $0[outcome, default: 0] += 1 }
                done.leave()
            }.start()
        }
        for _ in nodes { ready.wait() }
        for _ in nodes { start.signal() }
        done.wait()
        return outcomes.withLock { $0 }
    }

    /// 16 wrong passwords at once check five, the rest wait (429); at nine failures, 16 more at
    /// once check one, which locks the account, and the rest are refused.
    @Test func attemptsAtOnceAreCountedBeforeTheirPasswordsAreChecked() throws {
        let h = try NodeHarness()
        try h.node.users.setPassword(name: "cal", password: "cal-password", by: h.admin)
        let first = try guessAtOnce(h, "cal", attempts: 16)
        #expect(first == ["checked": LoginThrottle.slowAfter, "login_throttled": 16 - LoginThrottle.slowAfter])
        #expect(try h.count("SELECT failures FROM login_failure WHERE name = 'cal'") == LoginThrottle.slowAfter)

        for _ in LoginThrottle.slowAfter..<(LoginThrottle.lockAfter - 1) {
            h.clock.advance(seconds: 61)
            #expect(throws: TicketingError.notLoggedIn("wrong user name or password")) {
                try h.node.users.login(name: "cal", password: "wrong-password")
            }
        }
        h.clock.advance(seconds: 61)
        let last = try guessAtOnce(h, "cal", attempts: 16)
        #expect(last["checked"] == 1, "\(last)")
        #expect(last.values.reduce(0, +) == 16 && last["signed in"] == nil, "\(last)")
        #expect(try h.count("SELECT failures FROM login_failure WHERE name = 'cal'") == LoginThrottle.lockAfter)
        #expect(try h.count("SELECT count(*) FROM audit_log WHERE action = 'staff.locked'") == 1)
        let locked = #expect(throws: (any Error).self) {
            try h.node.users.login(name: "cal", password: "cal-password")
        }
        #expect(locked.map { ErrorReport.of($0).code } == "account_locked")
    }

    /// A right password among guesses at once still signs in, and clears the count.
    @Test func aRightPasswordAmongGuessesSignsInAndClearsTheCount() throws {
        let h = try NodeHarness()
        try h.node.users.setPassword(name: "cal", password: "cal-password", by: h.admin)
        _ = try guessAtOnce(h, "cal", attempts: 3)
        _ = try h.node.users.login(name: "cal", password: "cal-password")
        #expect(try h.count("SELECT count(*) FROM login_failure WHERE name = 'cal'") == 0)
    }
}

private final class NodeBox: @unchecked Sendable {  // used by the one thread it is handed to
    let node: VenueNode
    init(_ node: VenueNode) { self.node = node }
}
