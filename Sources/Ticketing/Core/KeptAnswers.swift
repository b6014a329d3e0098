import EdgeCrypto
import SyncWire

/// An answer kept under an idempotency key: what a retry of the same request gets back.
public struct KeptAnswer: Sendable, Equatable {
    public let status: Int
    public let body: String
    /// True when this is the answer kept from an earlier request, not a new write.
    public let replayed: Bool
}

extension VenueNode {
    /// Answers a write once per idempotency key, with the CLI's replay rules: the first request
    /// under `key` runs `operation`, and its answer is kept in the same transaction as the write
    /// (a crash leaves both or neither); a retry with the same `request` (its bytes, who sends it,
    /// where) gets that answer again and writes nothing; another request under the same key, by
    /// another user or a key a sale used, is a conflict. An operation that throws keeps nothing: a
    /// retry runs it again.
    public func answerOnce(
        key: String, request: String, _ operation: () throws -> (status: Int, body: String)
    ) throws -> KeptAnswer {
        let key = try Sales.validatedKey(key)
        let fingerprint = Hex.encode(SHA256.hash(Array(request.utf8)))
        let db = database
        return try db.writeAsOne {
            if let kept = try db.row(
                "SELECT fingerprint, status, response FROM api_request WHERE idempotency_key = ?", [key])
            {
                guard try kept.get("fingerprint", as: String.self) == fingerprint else {
                    throw Sales.keyUsedElsewhere(key)
                }
                return KeptAnswer(status: try kept.get("status"), body: try kept.get("response"), replayed: true)
            }
            if try db.scalar("SELECT 1 FROM orders WHERE idempotency_key = ?", [key], as: Int.self) != nil {
                throw Sales.keyUsedElsewhere(key)
            }
            let answer = try operation()
            let now = clock.now().milliseconds
            try db.execute(
                "INSERT INTO api_request (idempotency_key, fingerprint, status, response, created_at) VALUES (?, ?, ?, ?, ?)",
                [key, fingerprint, answer.status, answer.body, now])
            return KeptAnswer(status: answer.status, body: answer.body, replayed: false)
        }
    }

    /// Forgets answers older than `days` (a retry comes within minutes; a week is plenty).
    public func forgetKeptAnswers(olderThan days: Int64 = 7) throws {
        try database.write {
            try database.execute(
                "DELETE FROM api_request WHERE created_at < ?", [clock.now().milliseconds - days * 86_400_000])
        }
    }
}
