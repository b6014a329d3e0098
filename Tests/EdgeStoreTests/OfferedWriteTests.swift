import Foundation
import TestSupport
import Testing

@testable import EdgeStore

/// A writer waiting in line offers its write to the writer whose turn it is, which runs it in
/// its own transaction and answers (`Database.write(offering:_:answered:)`).
@Suite struct OfferedWriteTests {
    let directory = TemporaryDirectory()

    /// The database with table `t`, and a connection whose turn runs offered writes by
    /// `handler` (the request is the text to insert).
    private func holder(
        refusing refusal: @escaping (any Error) -> [UInt8]? = { _ in nil },
        _ handler: @escaping (Database, [UInt8]) throws -> [UInt8]
    ) throws -> (path: String, holder: Database) {
        let path = directory.file("a.sqlite")
        let holder = try Database(path: path)
        try holder.execute("CREATE TABLE t (v TEXT NOT NULL)")
        holder.offeredWrites = OfferedWrites(run: { [unowned holder] in try handler(holder, $0) }, refusal: refusal)
        return (path, holder)
    }

    /// Runs `holder`'s write transaction while `offer` offers its write from another thread
    /// (started once the transaction has begun; the transaction ends once the write is offered);
    /// the offer's result.
    private func race(holder: Database, at path: String, _ offer: @escaping @Sendable () throws -> String) throws
        -> String
    {
        let queue = try #require(WriterTurnstile(databasePath: path))
        let result = Answer()
        let done = DispatchSemaphore(value: 0)
        _ = try holder.write(
            offering: { [] },
            { _ in
                Thread {
                    result.set(Result { try offer() })
                    done.signal()
                }.start()
                #expect(queue.waitForOffer(), "the other writer never offered its write")
            }, answered: { _ in })
        done.wait()
        return try result.get()
    }

    private static func offer(at path: String, _ text: String, recheck: Flag? = nil) throws -> String {
        let db = try Database(path: path)
        return try db.write(
            offering: { Array(text.utf8) },
            { again in
                recheck?.set(again)
                try db.execute("INSERT INTO t (v) VALUES ('by itself')")
                return "by itself"
            },
            answered: { "answered " + String(decoding: $0, as: UTF8.self) })
    }

    @Test func theWriterWhoseTurnItIsRunsTheOfferedWriteAndAnswers() throws {
        let (path, holder) = try holder { db, request in
            try db.execute("INSERT INTO t (v) VALUES (?)", [String(decoding: request, as: UTF8.self)])
            return Array("done".utf8)
        }
        let result = try race(holder: holder, at: path) { try Self.offer(at: path, "from the queue") }
        #expect(result == "answered done")
        let reader = try Database(path: path)
        #expect(try reader.rows("SELECT v FROM t").map { try $0.get("v") as String } == ["from the queue"])
    }

    /// A transaction that is not itself an offered write (a migration, the daemon's) runs no
    /// other connection's.
    @Test func onlyAnOfferedWriteRunsTheOffersQueuedBehindIt() throws {
        let (path, holder) = try holder { db, _ in
            try db.execute("INSERT INTO t (v) VALUES ('run by the holder')")
            return []
        }
        let queue = try #require(WriterTurnstile(databasePath: path))
        let result = Answer()
        let done = DispatchSemaphore(value: 0)
        try holder.write {
            Thread {
                result.set(Result { try Self.offer(at: path, "x") })
                done.signal()
            }.start()
            #expect(queue.waitForOffer(), "the other writer never offered its write")
        }
        done.wait()
        #expect(try result.get() == "by itself")
        #expect(try Database(path: path).rows("SELECT v FROM t").map { try $0.get("v") as String } == ["by itself"])
    }

    @Test func aWriteTheHolderCannotRunIsHandedBackUndoneAndRunByItsWriter() throws {
        struct Broken: Error {}
        let (path, holder) = try holder { db, _ in
            try db.execute("INSERT INTO t (v) VALUES ('half done')")
            throw Broken()
        }
        let recheck = Flag()
        let result = try race(holder: holder, at: path) { try Self.offer(at: path, "x", recheck: recheck) }
        #expect(result == "by itself")
        #expect(!recheck.value)
        #expect(try Database(path: path).rows("SELECT v FROM t").map { try $0.get("v") as String } == ["by itself"])
    }

    /// An answer too long for the slot cannot be given: the write is undone and handed back.
    @Test func aWriteWhoseAnswerWouldNotFitIsUndoneAndHandedBack() throws {
        let (path, holder) = try holder { db, _ in
            try db.execute("INSERT INTO t (v) VALUES ('run by the holder')")
            return Array(repeating: 1, count: OfferedWrite.capacity + 1)
        }
        let result = try race(holder: holder, at: path) { try Self.offer(at: path, "x") }
        #expect(result == "by itself")
        #expect(try Database(path: path).rows("SELECT v FROM t").map { try $0.get("v") as String } == ["by itself"])
    }

    @Test func aRefusalIsTheAnswerAndWhatTheRefusedWriteDidIsUndone() throws {
        struct SoldOut: Error {}
        let (path, holder) = try holder(
            refusing: { _ in Array("refused".utf8) },
            { db, _ in
                try db.execute("INSERT INTO t (v) VALUES ('half done')")
                throw SoldOut()
            })
        let result = try race(holder: holder, at: path) { try Self.offer(at: path, "x") }
        #expect(result == "answered refused")
        #expect(try Database(path: path).scalar("SELECT count(*) FROM t") == 0)
    }

    /// The thread that took the write is gone before answering (a process killed after taking
    /// it): its writer takes the write back and runs it, told to check whether it was committed.
    @Test func aWriteWhoseTakerDiedIsRunByItsWriterWithARecheck() throws {
        let path = directory.file("a.sqlite")
        _ = try Database(path: path).execute("CREATE TABLE t (v TEXT NOT NULL)")
        let taker = try #require(Box(WriterTurnstile(databasePath: path)))
        let entered = DispatchSemaphore(value: 0)
        let took = DispatchSemaphore(value: 0)
        let taken = Flag()
        Thread {
            guard case .turn = taker.turnstile.enter(timeout: 5) else {
                entered.signal()
                return
            }
            entered.signal()
            #expect(taker.turnstile.waitForOffer(), "the other writer never offered its write")
            taken.set(!taker.turnstile.takeOffers(limit: 1) { _ in [] }.isEmpty)
            taker.turnstile.leave()  // and the thread ends without answering
            took.signal()
        }.start()
        entered.wait()
        let recheck = Flag()
        let result = try Self.offer(at: path, "x", recheck: recheck)
        took.wait()
        #expect(taken.value)
        #expect(result == "by itself")
        #expect(recheck.value)
    }
}

private final class Answer: @unchecked Sendable {  // set before the reader's semaphore is signalled
    private var result: Result<String, any Error> = .success("")
    func set(_ result: Result<String, any Error>) { self.result = result }
    func get() throws -> String { try result.get() }
}

private final class Flag: @unchecked Sendable {  // set before the reader looks
    private(set) var value = false
    func set(_ value: Bool) { self.value = value }
}

private final class Box: @unchecked Sendable {  // used by one thread
    let turnstile: WriterTurnstile
    init?(_ turnstile: WriterTurnstile?) {
        guard let turnstile else { return nil }
        self.turnstile = turnstile
    }
}
