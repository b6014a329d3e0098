import EdgeStore
import Foundation

/// The pages of a database's last commit still in its WAL, by the b-tree (table or index) each
/// belongs to: what a transaction wrote, read off the file the way SQLite lays it out (a 32-byte
/// header, then frames of a 24-byte header and a page; a frame with a database size ends a commit).
enum WALCommit {
    static func lastTrees(path: String, db: Database) throws -> [String] {
        let wal = [UInt8](try Data(contentsOf: URL(fileURLWithPath: path + "-wal")))
        func word(_ offset: Int) -> Int { wal[offset..<offset + 4].reduce(0) { $0 << 8 | Int($1) } }
        let pageSize = word(8)
        var last = [Int]()
        var current = [Int]()
        var offset = 32
        while offset + 24 + pageSize <= wal.count, wal[offset + 8..<offset + 16] == wal[16..<24] {
            current.append(word(offset))
            if word(offset + 4) != 0 {
                last = current
                current = []
            }
            offset += 24 + pageSize
        }
        return try last.map { page in
            try db.scalar("SELECT name FROM dbstat WHERE pageno = ?", [page]) ?? "page \(page)"
        }.sorted()
    }
}
