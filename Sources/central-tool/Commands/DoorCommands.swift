import CLIKit
import Central
import SyncWire

struct Keys: ParsableCommand {
    static let configuration = CommandConfiguration(
        name: "keys", abstract: "The nodes' ticket signing keys: list them, or revoke a stolen node's.",
        subcommands: [List.self, Revoke.self])

    init(_ arguments: ParsedArguments) {}

    static func row(_ key: CentralSigningKey) -> [String] {
        [
            key.nodeID, String(key.keyID), key.createdAt.description,
            key.revokedAfter.map { "revoked after \($0)" + (key.nodeRevoked ? " (whole node)" : "") }
                ?? key.retiredAt.map { "retired \($0)" } ?? "in force",
            key.publicKey,
        ]
    }

    struct List: ParsableCommand {
        static let configuration = CommandConfiguration(
            name: "list", abstract: "Every key the nodes published, with central's revocations.")

        let context: CentralContext

        init(_ arguments: ParsedArguments) throws { context = try CentralContext(arguments) }

        func run() throws {
            let keys = try KeyRevocations(connection: try context.connect()).keys()
            context.output.emit(keys) { keys in
                keys.isEmpty
                    ? "No node has published a signing key yet."
                    : TextTable.render(["NODE", "KEY", "MADE", "STATE", "PUBLIC KEY"], keys.map(Keys.row))
            }
        }
    }

    struct Revoke: ParsableCommand {
        static let node = TypedArgument("NODE", help: "The node whose keys are revoked.")
        static let key = TypedOption.integer(
            "--key", "ID", in: 0...65_535, help: "Only this key (default: every one, and every one it publishes later)."
        )
        static let after = TypedOption.text(
            "--after", "TIME", required: true,
            help:
                "ISO 8601 (2026-12-06T18:00:00Z), not later than now: the key's tickets central received before it still get in."
        )
        static let reason = TypedOption.text(
            "--reason", "TEXT", required: true, help: "Why, in one line of at most 200 characters; shown at the doors.")
        static let configuration = CommandConfiguration(
            name: "revoke",
            abstract: "Refuse at every door the tickets a node's key signed after a time (a stolen node or key).",
            usage: "NODE --after TIME --reason TEXT [--key ID]", arguments: [node], options: [key, after, reason])

        let context: CentralContext
        let nodeID: String
        let keyID: Int?
        let after: Timestamp
        let reason: String

        init(_ arguments: ParsedArguments) throws {
            context = try CentralContext(arguments)
            nodeID = try arguments.required(Self.node)
            keyID = try arguments.value(Self.key).map(Int.init)
            let text = try arguments.required(Self.after)
            guard let after = Timestamp(iso8601: text) else {
                throw UsageError("--after must be an ISO 8601 time like 2026-12-06T18:00:00Z, not '\(text.prefix(40))'")
            }
            self.after = after
            reason = try arguments.required(Self.reason)
            guard reason.contains(where: { !$0.isWhitespace }) else {
                throw UsageError("--reason must say why: the doors show it with each ticket they refuse")
            }
            try KeyRevocations.check(reason: reason)
        }

        func run() throws {
            let result = try KeyRevocations(connection: try context.connect()).revoke(
                node: nodeID, keyID: keyID, after: after, reason: reason)
            context.output.emit(result) { result in
                var lines = [String]()
                if !result.keys.isEmpty {
                    lines.append(
                        "Revoked \(result.keys.count) key(s) of \(nodeID) after \(after); \(result.vouched) ticket(s) "
                            + "received before then still get in"
                            + (result.withdrawn > 0
                                ? ", \(result.withdrawn) vouched for under a later cut no longer do" : "")
                            + ". Every node learns it at its next pull.")
                }
                for key in result.unchanged {
                    lines.append(
                        "Key \(key.keyID) of \(nodeID) stays revoked after \(key.revokedAfter.map { "\($0)" } ?? "?"): "
                            + "a revocation only moves a cut earlier.")
                }
                return lines.joined(separator: "\n")
            }
        }
    }
}

struct Door: ParsableCommand {
    static let configuration = CommandConfiguration(
        name: "door", abstract: "What central tells the doors of the venue.", subcommands: [CatchUp.self])

    init(_ arguments: ParsedArguments) {}

    struct CatchUp: ParsableCommand {
        static let configuration = CommandConfiguration(
            name: "catch-up",
            abstract:
                "Tell every door what nodes of protocol 3 or older reported: their unsigned tickets, refunds, check-ins.",
            discussion: """
                For events not over yet, once each: run it after 'central migrate' brings central to protocol 4 (the
                tickets sold before signing), and on the reconcile timer while any node still runs an older release.
                """)

        let context: CentralContext

        init(_ arguments: ParsedArguments) throws { context = try CentralContext(arguments) }

        func run() throws {
            let result = try DoorFeed(connection: try context.connect()).catchUp(now: context.now)
            context.output.emit(result) {
                "Told the doors of \($0.vouched) unsigned ticket(s), \($0.revoked) refunded or void, "
                    + "\($0.admitted) admission(s)."
            }
        }
    }
}
