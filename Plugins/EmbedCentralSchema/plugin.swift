import Foundation
import PackagePlugin

/// Embeds `SyncProtocol/mysql/*.sql` into the target as Swift string literals, so the `central`
/// binary carries its migrations while the `.sql` files stay the one source of truth.
@main
struct EmbedCentralSchema: BuildToolPlugin {
    func createBuildCommands(context: PluginContext, target: Target) throws -> [Command] {
        let folder = context.package.directoryURL.appending(path: "SyncProtocol").appending(path: "mysql")
        let files = try FileManager.default.contentsOfDirectory(at: folder, includingPropertiesForKeys: nil)
            .filter { $0.pathExtension == "sql" }
            .sorted { $0.lastPathComponent < $1.lastPathComponent }
        let output = context.pluginWorkDirectoryURL.appending(path: "EmbeddedCentralSchema.swift")
        return [
            .buildCommand(
                displayName: "Embedding the central MySQL schema (\(files.count) migrations)",
                executable: try context.tool(named: "EmbedFiles").url,
                arguments: [output.path, "EmbeddedCentralSchema"] + files.map(\.path),
                inputFiles: files, outputFiles: [output])
        ]
    }
}
