import CLIKit
import FoundationEssentials
import Mail
import Ticketing

struct UsersCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        name: "users", abstract: "Manage staff accounts (admins).",
        subcommands: [Add.self, List.self, ChangeRole.self, Disable.self, Enable.self, Unlock.self, Passwd.self])

    init(_ arguments: ParsedArguments) {}

    static let name = TypedArgument("NAME", help: "User name.")
    static let role = TypedOption<Role>.choice("--role", "ROLE", required: true, help: "cashier, supervisor or admin.")

    struct Add: ParsableCommand {
        static let newName = TypedArgument("NAME", help: "User name: lower-case letters, digits, . - _")
        static let configuration = CommandConfiguration(
            name: "add", abstract: "Add a staff account (password on stdin).", arguments: [newName],
            options: [UsersCommand.role])

        let context: Context
        let name: String
        let role: Role

        init(_ arguments: ParsedArguments) throws {
            context = try Context(arguments)
            name = try arguments.required(Self.newName)
            role = try arguments.required(UsersCommand.role)
        }

        func run() throws {
            let (node, actor) = try context.signedIn()
            let password = try context.password(prompt: "Password for \(name): ", confirm: true)
            let member = try node.users.add(name: name, role: role, password: password, by: actor)
            context.output.emit(member) { "Added \($0.role.rawValue) \($0.name)." }
        }
    }

    struct List: ParsableCommand {
        static let configuration = CommandConfiguration(name: "list", abstract: "List staff accounts.")

        let context: Context

        init(_ arguments: ParsedArguments) throws { context = try Context(arguments) }

        func run() throws {
            let (node, actor) = try context.signedIn()
            let members = try node.users.list(by: actor)
            context.output.emit(members) { members in
                TextTable.render(
                    ["NAME", "ROLE", "STATE"],
                    members.map {
                        [
                            $0.name, $0.role.rawValue,
                            $0.disabled ? "disabled" : ($0.hasPassword ? "active" : "no password yet"),
                        ]
                    })
            }
        }
    }

    struct ChangeRole: ParsableCommand {
        static let configuration = CommandConfiguration(
            name: "role", abstract: "Change a user's role (admins; the last admin stays one).",
            arguments: [UsersCommand.name], options: [UsersCommand.role])

        let context: Context
        let name: String
        let role: Role

        init(_ arguments: ParsedArguments) throws {
            context = try Context(arguments)
            name = try arguments.required(UsersCommand.name)
            role = try arguments.required(UsersCommand.role)
        }

        func run() throws {
            let (node, actor) = try context.signedIn()
            let member = try node.users.changeRole(name: name, to: role, by: actor)
            context.output.emit(member) { "\($0.name) is now a \($0.role.rawValue)." }
        }
    }

    struct Disable: ParsableCommand {
        static let configuration = CommandConfiguration(
            name: "disable", abstract: "Disable an account and end its sessions.", arguments: [UsersCommand.name])

        let context: Context
        let name: String

        init(_ arguments: ParsedArguments) throws {
            context = try Context(arguments)
            name = try arguments.required(UsersCommand.name)
        }

        func run() throws {
            let (node, actor) = try context.signedIn()
            let member = try node.users.disable(name: name, by: actor)
            context.output.emit(member) { "Disabled \($0.name)." }
        }
    }

    struct Enable: ParsableCommand {
        static let configuration = CommandConfiguration(
            name: "enable",
            abstract: "Enable a disabled account (admins); one restored without a password needs 'users passwd' too.",
            arguments: [UsersCommand.name])

        let context: Context
        let name: String

        init(_ arguments: ParsedArguments) throws {
            context = try Context(arguments)
            name = try arguments.required(UsersCommand.name)
        }

        func run() throws {
            let (node, actor) = try context.signedIn()
            let member = try node.users.enable(name: name, by: actor)
            context.output.emit(member) {
                $0.hasPassword
                    ? "Enabled \($0.name)."
                    : "Enabled \($0.name); set a password with 'boxoffice users passwd \($0.name)' before they log in."
            }
        }
    }

    struct Unlock: ParsableCommand {
        static let configuration = CommandConfiguration(
            name: "unlock", abstract: "Lift the lock that failed logins put on an account, and forget them (admins).",
            arguments: [UsersCommand.name])

        let context: Context
        let name: String

        init(_ arguments: ParsedArguments) throws {
            context = try Context(arguments)
            name = try arguments.required(UsersCommand.name)
        }

        func run() throws {
            let (node, actor) = try context.signedIn()
            let member = try node.users.unlock(name: name, by: actor)
            context.output.emit(member) { "Unlocked \($0.name)." }
        }
    }

    struct Passwd: ParsableCommand {
        static let configuration = CommandConfiguration(
            name: "passwd",
            abstract:
                "Set a password (your own, or anyone's as admin); password on stdin. Ends the user's other sessions.",
            arguments: [UsersCommand.name])

        let context: Context
        let name: String

        init(_ arguments: ParsedArguments) throws {
            context = try Context(arguments)
            name = try arguments.required(UsersCommand.name)
        }

        func run() throws {
            let (node, actor) = try context.signedIn()
            let password = try context.password(prompt: "New password for \(name): ", confirm: true)
            try node.users.setPassword(name: name, password: password, by: actor)
            context.output.emit(["user": name]) { _ in "Password set for \(name)." }
        }
    }
}

struct Notifications: ParsableCommand {
    static let configuration = CommandConfiguration(
        name: "notifications",
        abstract: "Customer emails: list them, send pending ones (supervisors), or send an order's tickets again.",
        subcommands: [List.self, Send.self, Resend.self])

    init(_ arguments: ParsedArguments) {}

    struct Resend: ParsableCommand {
        static let order = TypedArgument("ORDER", help: "The order id, or one of its ticket codes.")
        static let to = TypedOption.text("--to", "EMAIL", help: "Send them there (default: the order's customer).")
        static let configuration = CommandConfiguration(
            name: "resend", abstract: "Queue an order's tickets, with their QR codes, to its customer again.",
            arguments: [order], options: [to])

        let context: Context
        let order: String
        let email: String?

        init(_ arguments: ParsedArguments) throws {
            context = try Context(arguments)
            order = try arguments.required(Self.order)
            email = try arguments.value(Self.to)
        }

        func run() throws {
            let (node, actor) = try context.signedIn()
            context.output.emit(try node.notifications.resend(order: order, to: email, by: actor)) {
                "Queued \($0.id) to \($0.recipient): the email worker sends it (or 'boxoffice notifications send')."
            }
        }
    }

    struct List: ParsableCommand {
        static let status = TypedOption<NotificationStatus>.choice("--status", "S", help: "pending, sent or failed.")
        static let configuration = CommandConfiguration(
            name: "list", abstract: "List notifications, newest first.", options: [status])

        let context: Context
        let status: NotificationStatus?

        init(_ arguments: ParsedArguments) throws {
            context = try Context(arguments)
            status = try arguments.value(Self.status)
        }

        func run() throws {
            let (node, actor) = try context.signedIn()
            let items = try node.notifications.list(status: status, by: actor)
            context.output.emit(items) { items in
                items.isEmpty
                    ? "No notifications."
                    : TextTable.render(
                        ["ID", "KIND", "STATUS", "ATTEMPTS", "TO", "ORDER"],
                        items.map {
                            [
                                $0.id, $0.kind.rawValue, $0.status.rawValue, String($0.attempts), $0.recipient,
                                $0.orderID ?? "-",
                            ]
                        })
            }
        }
    }

    struct Send: ParsableCommand {
        static let via = TypedOption<any MailTransport>(
            "--via", "TRANSPORT",
            help: "smtp://host[:port][?starttls=auto|required|off&ca=FILE], sendmail:PATH or spool:DIR.",
            expected: "a mail transport", convert: MailTransports.parse)
        static let spool = TypedOption.text(
            "--spool", "DIR",
            help:
                "Without a transport: the spool folder (default: $BOXOFFICE_SPOOL, else 'spool' next to the database).")
        static let limit = TypedOption.integer(
            "--limit", "N", in: 1...100_000, help: "At most this many (default 500).")
        static let configuration = CommandConfiguration(
            name: "send",
            abstract:
                "Deliver due customer emails: to an SMTP relay, a sendmail command, or .eml files in a spool folder.",
            discussion: """
                The transport is --via, else MAIL_TRANSPORT (environment or config file), else the spool folder.
                """,
            options: [via, spool, limit])

        let context: Context
        let transport: any MailTransport
        let limit: Int

        init(_ arguments: ParsedArguments) throws {
            context = try Context(arguments)
            transport =
                try arguments.value(Self.via, orSetting: NodeSetting.mailTransport, in: context.settings)
                ?? SpoolTransport(
                    folder: NodeEnvironment.spool(
                        given: try arguments.value(Self.spool), databasePath: context.databasePath,
                        environment: context.settings))
            limit = Int(try arguments.value(Self.limit) ?? 500)
        }

        func run() throws {
            let (node, actor) = try context.signedIn()
            let report = try node.notifications.deliver(via: transport, limit: limit, by: actor)
            context.output.emit(report) {
                "Delivered \($0.delivered) via \($0.transport); \($0.retrying) to retry, \($0.failed) failed."
            }
        }
    }
}
