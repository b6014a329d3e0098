import Foundation
import SyncWire
import TestSupport
import Testing

@testable import Ticketing

@Suite struct PulledChangeTests {
    /// A change for an event the node does not know yet is parked (a data error) and the cursor
    /// moves on; once the event arrives, `sync parked --retry` applies it.
    @Test func aParkedChangeAppliesAgainOnceItCan() throws {
        let h = try NodeHarness()
        let closing = Change(
            seq: 1, type: ChangeType.eventStatus.rawValue, entityID: "LATER",
            payload: try JSONText.encode(EventStatusChange(eventID: "LATER", status: .closed, reason: nil)))
        #expect(try h.node.sync.apply(closing) == .parked)
        #expect(try h.node.sync.pullCursor() == 1 && h.node.sync.parkedChanges().map(\.seq) == [1])
        #expect(throws: TicketingError.self) { try h.node.sync.retryParked(by: h.cashier) }
        let still = try h.node.sync.retryParked(by: h.supervisor)
        #expect(still.count == 1 && still[0].outcome == nil && still[0].error?.contains("LATER") == true)

        let catalog = Change(
            seq: 2, type: ChangeType.catalogEvent.rawValue, entityID: "LATER",
            payload: """
                {"format":"venue-reference/1","venues":[{"id":"HALL","name":"Test Hall","timezone":"UTC","sections":[
                  {"code":"MAIN","rows":[{"labels":"A-E","seats":10}]},{"code":"SIDE","rows":[{"labels":"A-B","seats":6}]}]}],
                 "events":[{"id":"LATER","venue":"HALL","name":"Later","starts_at":"2030-03-01T20:00:00Z","status":"on_sale",
                   "categories":[{"code":"GA","name":"Standing","kind":"ga","price_minor":1000,"capacity":50}]}],
                 "allocations":[],"staff":[]}
                """)
        #expect(try h.node.sync.apply(catalog) == .applied)
        let retried = try h.node.sync.retryParked(by: h.supervisor)
        #expect(retried.count == 1 && retried[0].outcome == .applied)
        #expect(try h.node.sync.parkedChanges().isEmpty && h.node.catalog.event("LATER").status == .closed)
    }

    /// A proposal at the version in force with the quota in force was decided already: pulled
    /// again (after a restore), it changes nothing. Any other proposal at or below that version
    /// (central handed the number out again) is answered, refused, with the allocation in force.
    @Test func aProposalAtOrBelowTheVersionInForceIsAReplayOrAnswered() throws {
        let h = try NodeHarness()
        func proposal(_ seq: Int64, version: Int, quota: Int) throws -> Change {
            Change(
                seq: seq, type: ChangeType.allocationProposed.rawValue, entityID: "SHOW/GA",
                payload: try JSONText.encode(
                    AllocationProposal(
                        eventID: "SHOW", categoryCode: "GA", nodeID: TestFixture.nodeID, version: version, quota: quota,
                        seats: nil)))
        }
        #expect(try h.node.sync.apply(try proposal(1, version: 2, quota: 80)) == .applied)
        #expect(try h.count("SELECT quota FROM allocation WHERE event_id = 'SHOW' AND category_code = 'GA'") == 80)
        #expect(try h.node.sync.apply(try proposal(2, version: 2, quota: 80)) == .ignored)
        #expect(try h.node.sync.apply(try proposal(3, version: 2, quota: 70)) == .applied)
        #expect(try h.node.sync.apply(try proposal(4, version: 1, quota: 60)) == .applied)
        #expect(try h.count("SELECT quota FROM allocation WHERE event_id = 'SHOW' AND category_code = 'GA'") == 80)
        #expect(try h.count("SELECT count(*) FROM sync_outbox WHERE record_type = 'allocation.accepted'") == 1)
        let answers = try h.node.database.rows(
            "SELECT payload FROM sync_outbox WHERE record_type = 'allocation.rejected' ORDER BY seq"
        ).map { try JSONText.decode(AllocationResponseRecord.self, from: try $0.get(0)) }
        #expect(answers.map(\.version) == [2, 1] && answers.map(\.quota) == [70, 60])
        for answer in answers {
            #expect(answer.reason?.contains("at or below v2, the allocation in force here (quota 80)") == true)
            #expect(
                answer.inForce
                    == AllocationInForce(eventID: "SHOW", categoryCode: "GA", version: 2, quota: 80, seats: nil))
        }
    }

    /// A proposal whose version central cannot have handed out (here 2^62, with a seat the node
    /// does not have) is parked, unanswered, and moves nothing: the genuine proposal after it
    /// applies, is answered and audited. A proposal naming an unknown seat under a genuine
    /// version is refused without moving the version either.
    @Test func aProposalCentralCannotHaveMadeIsParkedAndHidesNoLaterOne() throws {
        let h = try NodeHarness()
        func proposal(_ seq: Int64, version: Int, seats: [String]) throws -> Change {
            Change(
                seq: seq, type: ChangeType.allocationProposed.rawValue, entityID: "SHOW/MAIN",
                payload: try JSONText.encode(
                    AllocationProposal(
                        eventID: "SHOW", categoryCode: "MAIN", nodeID: TestFixture.nodeID, version: version, quota: nil,
                        seats: seats)))
        }
        let answers = "SELECT count(*) FROM sync_outbox WHERE record_type LIKE 'allocation.%'"
        let poison = try proposal(1, version: 4_611_686_018_427_387_904, seats: ["MAIN-A-1", "MAIN-Z-99"])
        #expect(try h.node.sync.apply(poison) == .parked)
        #expect(try h.node.sync.parkedChanges().map(\.seq) == [1])
        #expect(try h.node.sync.parkedChanges()[0].error.contains("cannot come from central"))
        #expect(try h.count(answers) == 0)
        #expect(
            try h.count("SELECT central_version FROM allocation WHERE event_id = 'SHOW' AND category_code = 'MAIN'")
                == 0)

        #expect(try h.node.sync.apply(try proposal(2, version: 5, seats: ["MAIN-A-1", "MAIN-Z-99"])) == .applied)
        #expect(try h.count("SELECT count(*) FROM sync_outbox WHERE record_type = 'allocation.rejected'") == 1)
        #expect(
            try h.count("SELECT central_version FROM allocation WHERE event_id = 'SHOW' AND category_code = 'MAIN'")
                == 0)

        #expect(try h.node.sync.apply(try proposal(3, version: 6, seats: (1...10).map { "MAIN-A-\($0)" })) == .applied)
        #expect(try h.count("SELECT quota FROM allocation WHERE event_id = 'SHOW' AND category_code = 'MAIN'") == 10)
        #expect(
            try h.count("SELECT central_version FROM allocation WHERE event_id = 'SHOW' AND category_code = 'MAIN'")
                == 6)
        let accepted = try #require(
            try h.node.database.scalar(
                "SELECT payload FROM sync_outbox WHERE record_type = 'allocation.accepted' ORDER BY seq DESC LIMIT 1",
                as: String.self))
        let answer = try JSONText.decode(AllocationResponseRecord.self, from: accepted)
        #expect(answer.version == 6 && answer.quota == 10 && answer.seatsDigest?.count == 64)
        #expect(
            try h.count(
                "SELECT count(*) FROM audit_log WHERE action = 'allocation.accepted' AND entity_id = 'SHOW/MAIN'") == 1)
    }

    /// A version that is not a whole number of 64 bits is parked with an error that says what is
    /// wrong with it, not that the payload "was not valid JSON"; a status version beyond central's
    /// clock when it published the change, plus a day, is parked and moves no version.
    @Test func aVersionCentralCannotHaveMadeIsParkedWithWhatIsWrongWithIt() throws {
        let h = try NodeHarness()
        let published = Timestamp(milliseconds: 1_893_456_000_000)
        func status(_ seq: Int64, version: String) -> Change {
            Change(
                seq: seq, type: ChangeType.eventStatus.rawValue, entityID: "SHOW",
                payload: #"{"event_id":"SHOW","status":"closed","version":\#(version)}"#, createdAt: published)
        }
        func proposal(_ seq: Int64, version: String) -> Change {
            Change(
                seq: seq, type: ChangeType.allocationProposed.rawValue, entityID: "SHOW/GA",
                payload:
                    #"{"category_code":"GA","event_id":"SHOW","node_id":"\#(TestFixture.nodeID)","quota":5,"version":\#(version)}"#,
                createdAt: published)
        }
        let cases: [(Change, String)] = [
            (status(1, version: "1.5"), "version 1.5 is not a whole number"),
            (status(2, version: "1e300"), "beyond the versions central hands out"),
            (proposal(3, version: "2.25"), "version 2.25 is not a whole number"),
            (proposal(4, version: "99999999999999999999"), "beyond the versions central hands out"),
            (status(5, version: "1893542400001"), "beyond central's clock when it published the change"),
            (proposal(6, version: "1893542400001"), "beyond central's clock when it published the change"),
        ]
        for (change, reason) in cases {
            #expect(try h.node.sync.apply(change) == .parked)
            let error = try #require(try h.node.sync.parkedChanges().last?.error)
            #expect(error.contains(reason) && !error.contains("not valid JSON"), "\(error)")
        }
        #expect(try h.count("SELECT count(*) FROM event_central_status") == 0)
        #expect(try h.count("SELECT count(*) FROM sync_outbox WHERE record_type LIKE 'allocation.%'") == 0)
        #expect(try h.node.catalog.event("SHOW").status == .onSale)
        // Within a day of the change's time, a version is central's: it applies.
        #expect(try h.node.sync.apply(status(7, version: "1893542400000")) == .applied)
        #expect(try h.node.catalog.event("SHOW").status == .closed)
    }
}
