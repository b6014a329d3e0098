import Foundation
import PackagePlugin

/// Embeds what the node's API serves from the repository, `docs/api/openapi.json`, into the
/// target as a Swift string literal: the file stays the one source of truth, the binary carries it.
@main
struct EmbedNodeAPIFiles: BuildToolPlugin {
    func createBuildCommands(context: PluginContext, target: Target) throws -> [Command] {
        let files = [
            context.package.directoryURL.appending(path: "docs").appending(path: "api")
                .appending(path: "openapi.json")
        ]
        let output = context.pluginWorkDirectoryURL.appending(path: "EmbeddedAPIFiles.swift")
        return [
            .buildCommand(
                displayName: "Embedding the node API's files (\(files.count))",
                executable: try context.tool(named: "EmbedFiles").url,
                arguments: [output.path, "EmbeddedAPIFiles"] + files.map(\.path),
                inputFiles: files, outputFiles: [output])
        ]
    }
}
