import Foundation
import NodeAPI
import TestSupport
import Testing

@testable import SyncEngine

/// The OpenAPI document (`docs/api/openapi.json`) against the server: the same routes, served as
/// kept in the repository, and real answers that fit its schemas.
@Suite struct APIDocumentTests {
    static let documentPath = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
        .deletingLastPathComponent().appendingPathComponent("docs/api/openapi.json").path

    static func document() throws -> [String: Any] {
        let data = try #require(FileManager.default.contents(atPath: documentPath))
        return try #require(try JSONSerialization.jsonObject(with: data) as? [String: Any])
    }

    /// Every route the listener answers is in the document, and every operation in the document
    /// is a route the listener answers.
    @Test func theDocumentListsEveryRouteAndNoOther() throws {
        let api = NodeAPI(databasePath: "/nonexistent", options: .init())
        let served = Set(DaemonHTTPHandler.routeNames(api: api))
        let paths = try #require(try Self.document()["paths"] as? [String: [String: Any]])
        let documented = Set(
            paths.flatMap { path, operations in
                operations.keys.filter { ["get", "post", "put", "patch", "delete"].contains($0) }.map {
                    "\($0.uppercased()) \(path)"
                }
            })
        #expect(served.subtracting(documented).sorted() == [], "routes the document does not describe")
        #expect(documented.subtracting(served).sorted() == [], "operations the server does not answer")
        #expect(served.count == DaemonHTTPHandler.routeNames(api: api).count, "a route is listed twice")
    }

    /// `/openapi.json` is the repository's file, byte for byte, and a valid OpenAPI 3.1 document
    /// whose schemas are valid JSON Schema (Draft 2020-12) with every `$ref` resolved.
    @Test func theServedDocumentIsTheRepositorysAndValid() throws {
        let node = try APINode()
        let served = try ProcessRunner.run("/usr/bin/curl", ["-sS", "-f", node.base + "/openapi.json"])
        #expect(served.stdout == (try String(contentsOfFile: Self.documentPath, encoding: .utf8)))
        let check = try ProcessRunner.run(
            "/usr/bin/python3",
            [
                "-c",
                """
                import json, sys, jsonschema
                document = json.load(open(sys.argv[1]))
                assert document["openapi"] == "3.1.0"
                schemas = document["components"]["schemas"]
                def walk(node):
                    if isinstance(node, dict):
                        if "$ref" in node:
                            name = node["$ref"].rsplit("/", 1)[-1]
                            assert node["$ref"] == "#/components/schemas/" + name and name in schemas, node["$ref"]
                        for value in node.values(): walk(value)
                    elif isinstance(node, list):
                        for value in node: walk(value)
                walk(document)
                for name, schema in schemas.items():
                    jsonschema.Draft202012Validator.check_schema(schema)
                for path, operations in document["paths"].items():
                    for method, operation in operations.items():
                        assert operation.get("operationId") and operation.get("responses"), (method, path)
                print("valid")
                """,
                Self.documentPath,
            ])
        #expect(check.stdout == "valid\n", "\(check.stderr)")
    }

    /// A walk through every operation (signing in, selling GA, named and best-available seats,
    /// holds, refunds, check-ins, the drawer, reports, errors): each answer has the status
    /// expected and fits the document's schema for it.
    @Test func realAnswersFitTheDocumentsSchemas() throws {
        // GALA's doors open in half an hour: a check-in without its event is refused, a
        // scanner's reads dated after they open are taken.
        let node = try APINode(reference: APINode.reference(floor: 100, startsAt: APINode.startingIn(hours: 12.5)))
        let result = try node.python(["conformance", node.base, Self.documentPath, "root", "root-password"])
        #expect(result.status == 0, "\(result.stdout)\(result.stderr)")
        #expect(result.stdout.hasPrefix("ok "), "\(result.stdout)")
    }
}
