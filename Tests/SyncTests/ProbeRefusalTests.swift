import Foundation
import HTTPServer
import NodeAPI
import TestSupport
import Testing

@testable import SyncEngine
@testable import Ticketing

/// How the daemon's listener words a refusal: a probe gets a health document, and a connection
/// turned away before its request arrived (which might have been a probe) gets a document that is
/// both a health document that is DOWN and the API's error object.
@Suite struct ProbeRefusalTests {
    private func handler(_ directory: TemporaryDirectory) -> DaemonHTTPHandler {
        let path = directory.file("node.sqlite")
        return DaemonHTTPHandler(
            health: HealthEndpoints(
                databasePath: path, nodeOptions: NodeOptions(), minimumFreeBytes: 0, metrics: DaemonMetrics(),
                heartbeat: LoopHeartbeat(within: 60), visibility: .loopback, clients: ClientAddresses()),
            api: NodeAPI(databasePath: path, options: NodeOptions()))
    }

    private func object(_ response: HTTPResponse) throws -> [String: Any] {
        try #require(try JSONSerialization.jsonObject(with: Data(response.body)) as? [String: Any])
    }

    @Test func aRefusalBeforeTheRequestArrivedReadsAsHealthAndAsAnError() throws {
        let directory = TemporaryDirectory()
        let refusal = HTTPRefusal(
            status: 429, code: "too_many_connections_from_client", message: "this address has too many connections")
        let unknown = handler(directory).refusal(refusal, for: nil)
        #expect(unknown.status == 429)
        let document = try object(unknown)
        #expect(document["status"] as? String == "DOWN", "\(document)")
        #expect(
            ((document["components"] as? [String: Any])?["server"] as? [String: Any])?["status"] as? String == "DOWN")
        let error = try #require(document["error"] as? [String: Any])
        #expect(error["code"] as? String == "too_many_connections_from_client" && error["exit_code"] as? Int == 4)
    }
}
