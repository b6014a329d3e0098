import Foundation
import TestSupport
import Testing

@testable import MySQLClient

/// A URL naming several members of a cluster, and how a connection picks one.
@Suite struct ClusterMembersTests {
    @Test func aURLNamesSeveralMembersInOrder() throws {
        let configuration = try MySQLConfiguration(
            url: "mysql://app@10.0.0.1:3307,db2.example,[::1]:3308/central?read_timeout=9", environment: [:])
        #expect(configuration.members.map(\.description) == ["10.0.0.1:3307", "db2.example:3306", "[::1]:3308"])
        #expect(configuration.host == "10.0.0.1" && configuration.port == 3307 && configuration.readTimeout == 9)
        #expect(
            configuration.description
                == "mysql://app@10.0.0.1:3307,db2.example:3306,[::1]:3308/central?tls=required")
        let second = configuration.members[1]
        #expect(configuration.members(startingWith: second).map(\.port) == [3306, 3308, 3307])
        #expect(configuration.member(after: configuration.members[2]) == configuration.members[0])
        #expect(configuration.members(startingWith: nil) == configuration.members)
    }

    /// TLS fails closed for the whole list: one member off this machine makes every member's
    /// connection require TLS, and a verifying mode checks each member's certificate.
    @Test func theTLSRulesHoldForEveryMember() throws {
        #expect(try MySQLConfiguration(url: "mysql://a@127.0.0.1:1,127.0.0.2:2/c", environment: [:]).tls == .disabled)
        #expect(try MySQLConfiguration(url: "mysql://a@127.0.0.1:1,db.example:2/c", environment: [:]).tls == .required)
        // Names that look like loopback addresses may point anywhere: TLS stays required.
        #expect(try MySQLConfiguration(url: "mysql://a@127.0.0.1.nip.io/c", environment: [:]).tls == .required)
        #expect(
            try MySQLConfiguration(url: "mysql://a@127.0.0.1:1,127.db2.example:2/c", environment: [:]).tls == .required)
        #expect(try MySQLConfiguration(url: "mysql://a@[::1]:1,127.0.0.9:2/c", environment: [:]).tls == .disabled)
        #expect(
            try MySQLConfiguration(url: "mysql://a@db.example,127.0.0.1/c?tls=disabled", environment: [:]).tls
                == .disabled)
    }

    @Test(arguments: [
        "mysql://a@h1,,h2/c", "mysql://a@h1:3306,h1/c", "mysql://a@,h2/c", "mysql://a@h1,h2/c?socket=/run/x.sock",
        "mysql://a@h1,h2:port/c", "mysql://a@h1,h2/c/d",
        "mysql://a@" + (1...17).map { "h\($0)" }.joined(separator: ",") + "/c",
    ])
    func badMemberListsAreRefused(url: String) {
        #expect(throws: MySQLError.self) { try MySQLConfiguration(url: url, environment: [:]) }
    }

    /// A Galera member serves only Synced, in the primary component, with wsrep_ready ON.
    @Test func onlyASyncedMemberOfThePrimaryComponentServes() {
        func state(_ local: String, _ status: String, _ ready: Bool) -> MemberState {
            MemberState(
                member: .init(host: "127.0.0.1", port: 1), server: "vm:1", readOnly: false,
                cluster: .init(nodeName: "m1", localState: local, status: status, ready: ready, size: 3))
        }
        #expect(state("Synced", "Primary", true).unavailability == nil)
        #expect(
            state("Donor/Desynced", "Primary", true).unavailability == "wsrep_local_state_comment is Donor/Desynced")
        #expect(
            state("Initialized", "non-Primary", false).unavailability
                == "wsrep_local_state_comment is Initialized, wsrep_cluster_status is non-Primary, wsrep_ready is OFF")
        #expect(
            MemberState(member: .init(host: "h", port: 1), server: "h:1", readOnly: true, cluster: nil).unavailability
                == nil)
        #expect(MySQLError(code: 1047, sqlState: "08S01", message: "WSREP has not yet prepared node").breaksConnection)
    }

    /// A member that does not answer is passed over, and the connection says so; with none
    /// answering, the error names each member's.
    @Test func aMemberThatDoesNotAnswerIsPassedOver() throws {
        let sandbox = MariaDBSandbox.shared
        let url = try sandbox.freshDatabase()
        let dead = Network.freePort()
        let single = try MySQLConfiguration(url: url, environment: sandbox.environment)
        let listed = try MySQLConfiguration(
            url:
                "mysql://venue_app@127.0.0.1:\(dead),127.0.0.1:\(sandbox.port)/\(MariaDBSandbox.databaseName(of: url))",
            environment: sandbox.environment)
        let connection = try MySQLConnection(listed)
        #expect(connection.member.port == Int(sandbox.port) && connection.memberState.cluster == nil)
        #expect(connection.skippedMembers.map(\.member.port) == [dead], "\(connection.skippedMembers)")
        #expect(try connection.scalar("SELECT 1", as: Int.self) == 1)
        #expect(try MySQLConnection(listed, startingWith: listed.members[1]).skippedMembers.isEmpty)
        #expect(try MySQLConnection(single).skippedMembers.isEmpty)
        var nowhere = listed
        nowhere.members = [listed.members[0], .init(host: "127.0.0.1", port: Network.freePort())]
        do {
            _ = try MySQLConnection(nowhere)
            Issue.record("connected to no server")
        } catch let error as MySQLError {
            #expect(error.kind == .cannotConnect, "\(error)")
            #expect(
                error.message.hasPrefix("no member of central is ready: 127.0.0.1:\(dead): MySQL error 2002")
                    && error.message.contains("; 127.0.0.1:\(nowhere.members[1].port): "), "\(error)")
        }
    }
}
