import EdgeCrypto
import Foundation
import SyncWire
import TestSupport
import Testing

/// `SyncProtocol/vectors/ticket-codes.json` through the code that signs and reads tickets, and
/// through a second implementation (`Tests/Helpers/ticket-codes.py`, on Python's `cryptography`).
@Suite struct TicketCodeVectorTests {
    static var file: [String: Any] { try! RowExpectation.vectorFile("ticket-codes.json") }

    /// What a door concludes from `text` with the file's keys and events.
    static func verdict(_ text: String) -> (verdict: String, short: String?, event: String?) {
        let keys = (file["keys"] as! [[String: Any]]).map { Hex.decode($0["public_key"] as! String)! }
        let events = file["events"] as! [String]
        switch try? TicketCode.read(text) {
        case .short(let code)?: return ("short", code, nil)
        case .signed(let code)?:
            let candidates = keys.filter { SignedTicketCode.keyID(of: $0) == code.keyID }
            if candidates.isEmpty { return ("unknown_key", nil, nil) }
            guard candidates.contains(where: { code.isSigned(by: $0) }) else { return ("forged", nil, nil) }
            guard let event = events.first(where: { code.names(eventID: $0) }) else {
                return ("unknown_event", nil, nil)
            }
            return ("valid", code.shortCode, event)
        case nil:
            do {
                _ = try TicketCode.read(text)
                return ("", nil, nil)
            } catch {
                return (error.message.contains("check character") ? "mistyped" : "not_a_code", nil, nil)
            }
        }
    }

    @Test func everyVectorSignsAndReadsAsTheFileSays() throws {
        for key in Self.file["keys"] as! [[String: Any]] {
            let seed = try #require(Hex.decode(key["seed"] as! String))
            let signer = try #require(Ed25519PrivateKey(seed: seed))
            #expect(Hex.encode(signer.publicKey) == key["public_key"] as! String)
            #expect(Int(SignedTicketCode.keyID(of: signer.publicKey)) == key["key_id"] as! Int)
        }
        let vectors = Self.file["vectors"] as! [[String: Any]]
        #expect(vectors.count >= 15)
        for vector in vectors {
            let name = vector["name"] as! String
            let text = vector["text"] as! String
            if let seedText = vector["seed"] as? String {
                let seed = try #require(Hex.decode(seedText))
                let serial = try #require(Hex.decode(vector["serial"] as! String))
                let key = try #require(Ed25519PrivateKey(seed: seed))
                let code = SignedTicketCode(signing: serial, eventID: vector["event_id"] as! String, with: key)
                #expect(code.text == text, "\(name)")
                #expect(code.text.count == TicketCode.signedCharacterCount)
            }
            let (verdict, short, event) = Self.verdict(text)
            #expect(verdict == vector["verdict"] as! String, "\(name)")
            if verdict == "valid" || verdict == "short" {
                #expect(short == vector["short_code"] as? String, "\(name)")
            }
            if verdict == "valid" { #expect(event == vector["event_id"] as? String, "\(name)") }
        }
    }

    /// An implementation apart from ours reaches the same verdicts on the same file.
    @Test func aSecondImplementationAgrees() throws {
        let root = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
            .deletingLastPathComponent()
        let result = try ProcessRunner.run(
            "/usr/bin/python3",
            [
                root.appendingPathComponent("Tests/Helpers/ticket-codes.py").path, "check",
                root.appendingPathComponent("SyncProtocol/vectors/ticket-codes.json").path,
            ])
        #expect(result.status == 0, "\(result.stdout)\(result.stderr)")
        #expect(!result.stdout.contains("FAIL"))
    }

    /// Every single mistyped character and every swap of two different neighbours is caught by
    /// the check character, but for `0` and `Z` (Luhn mod 32 weighs them alike).
    @Test func theCheckCharacterCatchesEverySingleTypoAndSwap() throws {
        let key = Ed25519PrivateKey.generate()
        let code = SignedTicketCode(signing: SecureRandom.bytes(10), eventID: "E", with: key).text
        let characters = Array(code)
        let alphabet = TicketCode.alphabet.map { Character(UnicodeScalar($0)) }
        for index in characters.indices {
            for replacement in alphabet where replacement != characters[index] {
                var typo = characters
                typo[index] = replacement
                #expect(throws: TicketCode.Unreadable.self) { try TicketCode.read(String(typo)) }
            }
            if index + 1 < characters.count, characters[index] != characters[index + 1],
                Set([characters[index], characters[index + 1]]) != ["0", "Z"]
            {
                var swapped = characters
                swapped.swapAt(index, index + 1)
                #expect(throws: TicketCode.Unreadable.self) { try TicketCode.read(String(swapped)) }
            }
        }
    }
}
