import CLIKit
import Foundation
import Ticketing

struct UsersCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        name: "users", abstract: "Manage staff accounts (admins).", subcommands: [Add.self, List.self, ChangeRole.self, Disable.self, Passwd.self])

    struct Add: ParsableCommand {
        static let configuration = CommandConfiguration(
            name: "add", abstract: "Add a staff account (password on stdin).",
            arguments: [Argument("NAME", help: "User name: lower-case letters, digits, . - _")],
            options: [.value("--role", "ROLE", required: true, help: "cashier, supervisor or admin.")])

        static func run(_ arguments: ParsedArguments) throws {
            let context = Context(arguments)
            let name = try arguments.requiredArgument("NAME")
            guard let role = try arguments.choice("--role", in: Role.allCases.map(\.rawValue)).flatMap(Role.init(rawValue:)) else {
                throw UsageError("missing --role")
            }
            let (node, actor) = try context.signedIn()
            let password = try context.password(prompt: "Password for \(name): ", confirm: true)
            let member = try node.users.add(name: name, role: role, password: password, by: actor)
            context.output.emit(member) { "Added \($0.role.rawValue) \($0.name)." }
        }
    }

    struct List: ParsableCommand {
        static let configuration = CommandConfiguration(name: "list", abstract: "List staff accounts.")

        static func run(_ arguments: ParsedArguments) throws {
            let context = Context(arguments)
            let (node, actor) = try context.signedIn()
            let members = try node.users.list(by: actor)
            context.output.emit(members) { members in
                TextTable.render(["NAME", "ROLE", "STATE"], members.map {
                    [$0.name, $0.role.rawValue, $0.disabled ? "disabled" : ($0.hasPassword ? "active" : "no password yet")]
                })
            }
        }
    }

    struct ChangeRole: ParsableCommand {
        static let configuration = CommandConfiguration(
            name: "role", abstract: "Change a user's role (admins; the last admin stays one).",
            arguments: [Argument("NAME", help: "User name.")],
            options: [.value("--role", "ROLE", required: true, help: "cashier, supervisor or admin.")])

        static func run(_ arguments: ParsedArguments) throws {
            let context = Context(arguments)
            let name = try arguments.requiredArgument("NAME")
            guard let role = try arguments.choice("--role", in: Role.allCases.map(\.rawValue)).flatMap(Role.init(rawValue:)) else {
                throw UsageError("missing --role")
            }
            let (node, actor) = try context.signedIn()
            let member = try node.users.changeRole(name: name, to: role, by: actor)
            context.output.emit(member) { "\($0.name) is now a \($0.role.rawValue)." }
        }
    }

    struct Disable: ParsableCommand {
        static let configuration = CommandConfiguration(
            name: "disable", abstract: "Disable an account and end its sessions.", arguments: [Argument("NAME", help: "User name.")])

        static func run(_ arguments: ParsedArguments) throws {
            let context = Context(arguments)
            let (node, actor) = try context.signedIn()
            let member = try node.users.disable(name: try arguments.requiredArgument("NAME"), by: actor)
            context.output.emit(member) { "Disabled \($0.name)." }
        }
    }

    struct Passwd: ParsableCommand {
        static let configuration = CommandConfiguration(
            name: "passwd", abstract: "Set a password (your own, or anyone's as admin); password on stdin.",
            arguments: [Argument("NAME", help: "User name.")])

        static func run(_ arguments: ParsedArguments) throws {
            let context = Context(arguments)
            let name = try arguments.requiredArgument("NAME")
            let (node, actor) = try context.signedIn()
            let password = try context.password(prompt: "New password for \(name): ", confirm: true)
            try node.users.setPassword(name: name, password: password, by: actor)
            context.output.emit(["user": name]) { _ in "Password set for \(name)." }
        }
    }
}

struct Notifications: ParsableCommand {
    static let configuration = CommandConfiguration(
        name: "notifications", abstract: "Customer emails: list them, or render pending ones into the spool folder.",
        subcommands: [List.self, Send.self])

    struct List: ParsableCommand {
        static let configuration = CommandConfiguration(
            name: "list", abstract: "List notifications, newest first.",
            options: [.value("--status", "S", help: "pending, sent or failed.")])

        static func run(_ arguments: ParsedArguments) throws {
            let context = Context(arguments)
            let status = try arguments.choice("--status", in: ["pending", "sent", "failed"])
            let (node, actor) = try context.signedIn()
            let items = try node.notifications.list(status: status, by: actor)
            context.output.emit(items) { items in
                items.isEmpty ? "No notifications." : TextTable.render(
                    ["ID", "KIND", "STATUS", "ATTEMPTS", "TO", "ORDER"],
                    items.map { [$0.id, $0.kind.rawValue, $0.status, String($0.attempts), $0.recipient, $0.orderID ?? "-"] })
            }
        }
    }

    struct Send: ParsableCommand {
        static let configuration = CommandConfiguration(
            name: "send", abstract: "Render due notifications as RFC 5322 .eml files into the spool folder.",
            options: [.value("--spool", "DIR", help: "Spool folder (default: $BOXOFFICE_SPOOL, else 'spool' next to the database)."),
                      .value("--limit", "N", help: "At most this many (default 500).")])

        static func run(_ arguments: ParsedArguments) throws {
            let context = Context(arguments)
            let limit = try arguments.integer("--limit", in: 1...100_000) ?? 500
            let folder = arguments.value("--spool") ?? ProcessInfo.processInfo.environment["BOXOFFICE_SPOOL"]
                ?? (context.databasePath as NSString).deletingLastPathComponent.appending(
                    (context.databasePath as NSString).deletingLastPathComponent.isEmpty ? "spool" : "/spool")
            let (node, actor) = try context.signedIn()
            let report = try node.notifications.deliver(to: folder, limit: Int(limit), by: actor)
            context.output.emit(report) { "Spooled \($0.delivered) to \($0.spool); \($0.retrying) to retry, \($0.failed) failed." }
        }
    }
}
