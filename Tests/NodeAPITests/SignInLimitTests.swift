import Foundation
import NodeAPI
import Synchronization
import TestSupport
import Testing

/// Signing in checks a password with a hash slow on purpose: a flood of attempts with made-up
/// names must not hold up the tills' sales, and one address may try only so often.
@Suite struct SignInLimitTests {
    /// What `api-client.py sign-in-flood` prints.
    struct Flood: Decodable {
        let signIns: [String: Int]
        let faults: [String]
        let sale: Int

        enum CodingKeys: String, CodingKey {
            case faults, sale
            case signIns = "sign_ins"
        }
    }

    /// 32 clients from 32 addresses sign in with made-up names as fast as they are answered: past
    /// the password workers and their short queue they are refused 503 `busy` with Retry-After and
    /// the error object, and a till's sale on another connection meanwhile is answered.
    @Test func signInsPastThePasswordWorkersAreRefusedWhileASaleIsAnswered() throws {
        let node = try APINode()
        let token = try node.signIn("cal")
        let result = try node.python(["sign-in-flood", node.base, token, "32", "8"])
        #expect(result.status == 0, "\(result.stderr)")
        let flood = try JSONDecoder().decode(Flood.self, from: Data(result.stdout.utf8))
        #expect(flood.sale == 201, "\(flood)")
        #expect((flood.signIns["503 busy"] ?? 0) > 0, "no sign-in was refused: \(flood)")
        #expect(flood.faults.isEmpty, "\(flood.faults)")
        #expect(Set(flood.signIns.keys).isSubset(of: ["401 not_logged_in", "503 busy"]), "\(flood.signIns)")
        #expect(try node.count("SELECT count(*) FROM login_failure") == flood.signIns["401 not_logged_in"] ?? 0)
    }

    /// One address trying made-up names is refused 429 `sign_in_rate_limited` with Retry-After
    /// once it has used up its attempts, before any password is checked or failure recorded;
    /// another address still signs in, and sign-ins that succeed give their attempt back. The 30
    /// attempts leave together on connections opened beforehand (`api-client.py sign-in-burst`):
    /// sent one after another, or as many at a time as the test process has cores, a machine
    /// slow enough to take 6 s a check would earn each its token back (the bucket's refill).
    @Test func eachAddressMayTryOnlySoOften() throws {
        let node = try APINode()
        let burst = try node.python(["sign-in-burst", node.base, "127.0.0.2", "30"])
        #expect(burst.status == 0, "\(burst.stderr)")
        let answers = try JSONSerialization.jsonObject(with: Data(burst.stdout.utf8)) as? [[Any]] ?? []
        var statuses = [Int: Int]()
        for answer in answers {
            let status = answer.first as? Int ?? 0
            statuses[status, default: 0] += 1
            guard status == 429 else { continue }
            #expect(
                answer.count == 3 && answer[1] as? String == "sign_in_rate_limited" && answer[2] as? Bool == true,
                "\(answer)")
        }
        // Ten attempts (and one more per 6 s) go ahead: checked (401), or refused busy (503) by
        // the password checkers' full queue; every other is refused by the bucket.
        #expect(statuses.values.reduce(0, +) == 30, "\(statuses)")
        #expect((statuses[429] ?? 0) >= 15, "\(statuses)")
        #expect(Set(statuses.keys).isSubset(of: [401, 429, 503]), "\(statuses)")
        #expect(try node.count("SELECT count(*) FROM login_failure") == statuses[401] ?? 0)
        let other = try node.call(
            "POST", "/v1/sessions", json: #"{"name":"cal","password":"cal-password"}"#, from: "127.0.0.3")
        #expect(other.status == 201, "\(other)")
        for _ in 0..<15 {
            let again = try node.call(
                "POST", "/v1/sessions", json: #"{"name":"sue","password":"sue-password"}"#, from: "127.0.0.4")
            #expect(again.status == 201, "\(again)")
        }
    }
}

/// The bucket of each address, on a clock the test moves.
@Suite struct SignInLimiterTests {
    final class Clock: Sendable {
        let nanoseconds = Atomic<UInt64>(1_000_000_000)
        func advance(seconds: UInt64) { nanoseconds.add(seconds * 1_000_000_000, ordering: .relaxed) }
    }

    @Test func anAddressTriesItsBurstThenOnceARefill() {
        let clock = Clock()
        var limits = SignInLimiter.Limits()
        limits.burst = 3
        limits.refillSeconds = 6
        let limiter = SignInLimiter(limits: limits) { clock.nanoseconds.load(ordering: .relaxed) }
        #expect((0..<3).map { _ in limiter.take("10.0.0.1") } == [nil, nil, nil])
        #expect(limiter.take("10.0.0.1") == 6)
        #expect(limiter.take("10.0.0.2") == nil, "another address has a bucket of its own")
        clock.advance(seconds: 2)
        #expect(limiter.take("10.0.0.1") == 4)
        clock.advance(seconds: 4)
        #expect(limiter.take("10.0.0.1") == nil)
        #expect(limiter.take("10.0.0.1") == 6)
        limiter.giveBack("10.0.0.1")
        #expect(limiter.take("10.0.0.1") == nil, "a success gives its attempt back")
    }

    @Test func pastTheAddressesFollowedFullBucketsMakeRoom() {
        let clock = Clock()
        var limits = SignInLimiter.Limits()
        limits.burst = 2
        limits.refillSeconds = 10
        limits.clients = 2
        let limiter = SignInLimiter(limits: limits) { clock.nanoseconds.load(ordering: .relaxed) }
        #expect(limiter.take("a") == nil)
        #expect(limiter.take("b") == nil)
        #expect(limiter.take("c") == 10, "two addresses followed, neither refilled")
        clock.advance(seconds: 10)
        #expect(limiter.take("c") == nil, "a full bucket made room")
    }
}
