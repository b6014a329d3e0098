import Printing
import SyncWire
import Ticketing

/// Every operation of the API, each the library call its CLI command makes. The OpenAPI document
/// (`docs/api/openapi.json`) lists the same routes; a test holds them equal.
enum Routes {
    static let all: [Route] = sessions + catalog + sales + orders + door + tickets + counter + node + users

    /// Signing in: the one route that checks a password.
    static let signInPath = "/v1/sessions"

    static let sessions = [
        Route("POST", signInPath, session: false, retry: .unkeyed) { call in
            let body = try call.body(SignInBody.self)
            return try .json(
                201, try call.node.users.login(name: body.name, password: body.password, client: call.client))
        },
        Route("DELETE", "/v1/sessions/current", retry: .unkeyed) { call in
            _ = try call.actor
            let token = (call.request.headers["authorization"] ?? "").split(separator: " ").last.map(String.init) ?? ""
            try call.node.users.logout(token: token)
            return .noContent
        },
    ]

    static let catalog = [
        Route("GET", "/v1/events") { call in
            _ = try call.actor
            return try .json(200, try call.node.catalog.events())
        },
        Route("GET", "/v1/events/{event}/availability") { call in
            _ = try call.actor
            return try .json(200, try call.node.inventory.availability(eventID: call.parameter("event")))
        },
        Route("GET", "/v1/events/{event}/seats") { call in
            _ = try call.actor
            var seats = try call.node.inventory.seats(
                eventID: call.parameter("event"), categoryCode: call.query["category"])
            switch call.query["available"] {
            case nil, "false": break
            case "true": seats = seats.filter { $0.status == .available }
            default: throw APIError.badRequest("available must be true or false")
            }
            return try .json(200, seats)
        },
    ]

    static let sales = [
        Route("POST", "/v1/sales", retry: .saleKey) { call in
            let body = try call.body(SaleBody.self)
            let receipt = try call.node.sales.sell(
                SaleRequest(
                    eventID: body.event, categoryCode: body.category, selection: try body.selection,
                    payment: body.payment.request, customer: body.customer?.details,
                    idempotencyKey: call.idempotencyKey),
                by: try call.actor)
            return try replayed(receipt.replayed, .json(201, receipt))
        },
        Route("POST", "/v1/holds", retry: .keptAnswer) { call in
            let body = try call.body(HoldBody.self)
            let hold = try call.node.inventory.hold(
                HoldRequest(
                    eventID: body.event, categoryCode: body.category, selection: try body.selection,
                    ttlSeconds: body.ttlSeconds),
                by: try call.actor)
            return try .json(201, hold)
        },
        Route("POST", "/v1/holds/{hold}/confirm", retry: .saleKey) { call in
            let body = try call.body(ConfirmBody.self)
            let receipt = try call.node.sales.confirm(
                holdID: call.parameter("hold"), payment: body.payment.request, customer: body.customer?.details,
                idempotencyKey: call.idempotencyKey, by: try call.actor)
            return try replayed(receipt.replayed, .json(201, receipt))
        },
        Route("POST", "/v1/holds/{hold}/release", retry: .keptAnswer) { call in
            try .json(200, try call.node.inventory.release(holdID: call.parameter("hold"), by: try call.actor))
        },
    ]

    static let orders = [
        Route("GET", "/v1/orders") { call in
            _ = try call.actor
            guard let text = call.query["q"] else {
                throw APIError.badRequest("give q: an order id, ticket code, or a customer's email, name or phone")
            }
            return try .json(200, try call.node.orders.lookup(text))
        },
        Route("GET", "/v1/orders/{order}") { call in
            _ = try call.actor
            return try .json(200, try call.node.orders.details(call.parameter("order")))
        },
        Route("GET", "/v1/tickets/{code}") { call in
            _ = try call.actor
            return try .json(200, try call.node.orders.details(call.parameter("code")))
        },
        Route("POST", "/v1/orders/{order}/refunds", retry: .keptAnswer) { call in
            let body = try call.body(RefundBody.self)
            return try .json(
                201,
                try call.node.refunds.refund(
                    orderID: call.parameter("order"), ticketCodes: body.tickets, reason: body.reason, by: try call.actor
                ))
        },
    ]

    static let door = [
        Route("POST", "/v1/checkins", retry: .keptAnswer) { call in
            let body = try call.body(CheckInBody.self)
            return try .json(
                200,
                try call.node.door.checkIn(code: body.code, gate: body.gate, eventID: body.event, by: try call.actor))
        },
        Route("POST", "/v1/checkins/imports", retry: .keptAnswer) { call in
            let body = try call.body(ScannerImportBody.self)
            return try .json(200, try call.node.door.importScanner(body.file, gate: nil, by: try call.actor))
        },
        Route("GET", "/v1/events/{event}/scan-list") { call in
            try .json(200, try call.node.door.scanList(eventID: call.parameter("event"), by: try call.actor))
        },
        Route("GET", "/v1/keys") { call in
            _ = try call.actor
            return try .json(200, try call.node.signingKeys.list())
        },
        Route("POST", "/v1/keys/rotate", retry: .keptAnswer) { call in
            try .json(201, try call.node.signingKeys.rotate(by: try call.actor))
        },
    ]

    /// Printed tickets, a ticket's QR code alone (a receipt's), the drawn hall, and an order's
    /// tickets sent again.
    static let tickets = [
        Route("GET", "/v1/orders/{order}/tickets") { call in
            _ = try call.actor
            let tickets = try call.node.orders.printable(call.parameter("order"))
            switch call.query["format"] ?? "svg" {
            case "svg": return .document(Array(try TicketLayout.svg(tickets).utf8), contentType: "image/svg+xml")
            case "pdf": return .document(try TicketLayout.pdf(tickets), contentType: "application/pdf")
            case "escpos": return .document(TicketLayout.escpos(tickets), contentType: "application/octet-stream")
            case "text":
                return .document(Array(try TicketLayout.text(tickets).utf8), contentType: "text/plain; charset=utf-8")
            default: throw APIError.badRequest("format must be svg, pdf, escpos or text")
            }
        },
        Route("GET", "/v1/tickets/{code}/qr") { call in
            _ = try call.actor
            let format = try ImageFormat.chosen(format: call.query["format"], accept: call.request.headers["accept"])
            let content = try call.node.orders.qrContent(ofTicket: call.parameter("code"))
            let symbol = try QRCode(encoding: content, correction: TicketLayout.correction)
            switch format {
            case .svg: return .document(Array(symbol.svg().utf8), contentType: format.contentType)
            case .png: return .document(PNGImage.qrCode(symbol), contentType: format.contentType)
            }
        },
        Route("GET", "/v1/events/{event}/seat-map") { call in
            let plan = try call.node.inventory.seatPlan(eventID: call.parameter("event"), by: try call.actor)
            return .document(Array(plan.svg.utf8), contentType: "image/svg+xml")
        },
        Route("POST", "/v1/orders/{order}/resend", retry: .keptAnswer) { call in
            let body = try call.body(ResendBody.self)
            return try .json(
                201, try call.node.notifications.resend(order: call.parameter("order"), to: body.to, by: try call.actor)
            )
        },
    ]

    static let counter = [
        Route("GET", "/v1/drawer") { call in
            try .json(200, try call.node.drawers.current(of: try call.actor))
        },
        Route("POST", "/v1/drawer/open", retry: .keptAnswer) { call in
            let body = try call.body(DrawerOpenBody.self)
            return try .json(201, try call.node.drawers.open(floatMinor: body.floatMinor, by: try call.actor))
        },
        Route("POST", "/v1/drawer/close", retry: .keptAnswer) { call in
            let body = try call.body(DrawerCloseBody.self)
            return try .json(200, try call.node.drawers.close(countedMinor: body.countedMinor, by: try call.actor))
        },
        Route("GET", "/v1/reports/shift") { call in
            try .json(200, try call.node.reports.shift(by: try call.actor))
        },
        Route("GET", "/v1/reports/day") { call in
            try .json(200, try call.node.reports.day(call.query["date"], by: try call.actor))
        },
    ]

    static let node = [
        Route("GET", "/v1/status") { call in
            _ = try call.actor
            return try .json(200, try call.node.status())
        }
    ]

    static let users = [
        Route("POST", "/v1/users/{name}/unlock", retry: .keptAnswer) { call in
            try .json(200, try call.node.users.unlock(name: call.parameter("name"), by: try call.actor))
        }
    ]

    /// `answer`, marked as the original answer sent again when `replayed`.
    private static func replayed(_ replayed: Bool, _ answer: APIAnswer) -> APIAnswer {
        var answer = answer
        if replayed { answer.headers.add("Idempotent-Replayed", "true") }
        return answer
    }
}
