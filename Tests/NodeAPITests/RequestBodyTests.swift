import Foundation
import TestSupport
import Testing

@testable import NodeAPI

/// Request bodies are read one way for every route: a number no 64-bit whole number holds is 422
/// naming its field, a field sent twice is 400, and neither writes anything.
@Suite struct RequestBodyTests {
    private static func sale(quantity: String = "1", payment: String = #"{"method":"cash"}"#) -> String {
        #"{"event":"GALA","category":"FLOOR","quantity":\#(quantity),"payment":\#(payment)}"#
    }

    private static func error(_ answer: (status: Int, body: Any?, headers: String)) -> (String?, String) {
        let error = (answer.body as? [String: Any])?["error"] as? [String: Any]
        return (error?["code"] as? String, error?["message"] as? String ?? "")
    }

    @Test func numbersOutOfRangeAre422NamingTheField() throws {
        let node = try APINode()
        let token = try node.signIn("cal")
        let before = try node.dump()
        for (index, number) in ["1e30", "9223372036854775808", "-9223372036854775809", "-1e400"].enumerated() {
            let answer = try node.call(
                "POST", "/v1/sales", token: token, key: "range-\(index)-0000",
                json: Self.sale(payment: #"{"method":"cash","tendered_minor":\#(number)}"#))
            let (code, message) = Self.error(answer)
            #expect(answer.status == 422 && code == "invalid_input", "\(number): \(answer)")
            #expect(message.contains("payment.tendered_minor is out of range"), "\(number): \(message)")
        }
        let fraction = try node.call(
            "POST", "/v1/sales", token: token, key: "range-fraction-0000", json: Self.sale(quantity: "1.5"))
        #expect(fraction.status == 400 && Self.error(fraction).1 == "quantity must be a whole number, not 1.5")
        let huge = try node.call(
            "POST", "/v1/drawer/open", token: token, key: "range-drawer-0000", json: #"{"float_minor":1e19}"#)
        #expect(huge.status == 422 && Self.error(huge).1.contains("float_minor is out of range"), "\(huge)")
        #expect(try node.dump() == before)
    }

    /// A field sent twice is refused, at any depth and on any route, however its name is written;
    /// nothing is sold or checked in.
    @Test func aFieldSentTwiceIs400() throws {
        let node = try APINode()
        let token = try node.signIn("cal")
        let before = try node.dump()
        let bodies: [(path: String, json: String, field: String)] = [
            ("/v1/sales", Self.sale(quantity: #"1,"quantity":5"#), "quantity"),
            ("/v1/sales", Self.sale(quantity: #"1,"quan\u0074ity":5"#), "quantity"),
            ("/v1/sales", Self.sale(payment: #"{"method":"cash","method":"card"}"#), "payment.method"),
            ("/v1/checkins", #"{"code":"AAAA-BBBB-CCCC-DDDD","code":"EEEE-FFFF-GGGG-HHHH"}"#, "code"),
            ("/v1/sessions", #"{"name":"cal","name":"sue","password":"cal-password"}"#, "name"),
        ]
        for (index, body) in bodies.enumerated() {
            let answer = try node.call(
                "POST", body.path, token: token, key: "twice-\(index)-0000", json: body.json)
            let (code, message) = Self.error(answer)
            #expect(answer.status == 400 && code == "bad_request", "\(body.json): \(answer)")
            #expect(message == "the field '\(body.field)' is sent twice; send each field once", "\(message)")
        }
        #expect(try node.dump() == before)
    }
}

/// The reader itself: what RFC 8259 allows, and nothing else.
@Suite struct JSONReaderTests {
    private func reads(_ text: String) -> Bool { (try? JSONReader.read(Array(text.utf8))) != nil }

    @Test func readsValidJSON() throws {
        for text in [
            #"{}"#, #" {"a" : [1, -0, 0.5, 1e2, -1.5E-3, true, false, null, "x"]} "#, #"[[],{}]"#,
            #""\u00e9\ud83d\ude00\n""#,
            #"{"a":{"b":{"a":1}},"b":2}"#,
        ] {
            #expect(reads(text), "\(text)")
        }
        guard case .object(let members) = try JSONReader.read(Array(#"{"s":"a\"\\\/\u0041\ud83d\ude00"}"#.utf8)),
            case .string(let text) = members.first?.value
        else {
            Issue.record("not an object of one string")
            return
        }
        #expect(text == "a\"\\/A😀")
    }

    @Test func refusesWhatIsNotJSON() {
        for text in [
            "", " ", "{", #"{"a":1,}"#, "[1,]", "01", "1.", ".5", "-", "1e", "+1", "NaN", "tru", #"{"a" 1}"#, #"{a:1}"#,
            #""\ud800""#, #""\udc00x""#, #""\x""#, "\"a\tb\"", "{} {}", #"{"a":1}x"#, "'a'",
            String(repeating: "[", count: 40) + String(repeating: "]", count: 40),
        ] {
            #expect(!reads(text), "\(text.prefix(60))")
        }
        #expect((try? JSONReader.read([0x22, 0xFF, 0x22])) == nil, "not UTF-8")
    }
}
