import Foundation
import PackagePlugin

/// Embeds what the node's listener serves from the repository into the target as Swift string
/// literals: `docs/api/openapi.json` (`EmbeddedAPIFiles`) and the pages for people under the
/// target's `Pages/` folder (`EmbeddedPages`, named by their path in it). The files stay the one
/// source of truth; the binary carries them.
@main
struct EmbedNodeAPIFiles: BuildToolPlugin {
    func createBuildCommands(context: PluginContext, target: Target) throws -> [Command] {
        let tool = try context.tool(named: "EmbedFiles").url
        let document = [
            context.package.directoryURL.appending(path: "docs").appending(path: "api")
                .appending(path: "openapi.json")
        ]
        let documentOutput = context.pluginWorkDirectoryURL.appending(path: "EmbeddedAPIFiles.swift")
        // The target's folder (`Sources/NAME`: the manifest gives NodeAPI no other path).
        let folder = context.package.directoryURL.appending(path: "Sources").appending(path: target.name)
            .appending(path: "Pages")
        let pages = try Self.files(under: folder)
        let pagesOutput = context.pluginWorkDirectoryURL.appending(path: "EmbeddedPages.swift")
        return [
            .buildCommand(
                displayName: "Embedding the node API's files (\(document.count))",
                executable: tool,
                arguments: [documentOutput.path, "EmbeddedAPIFiles"] + document.map(\.path),
                inputFiles: document, outputFiles: [documentOutput]),
            .buildCommand(
                displayName: "Embedding the pages for tills and doors (\(pages.count))",
                executable: tool,
                arguments: [pagesOutput.path, "EmbeddedPages", "--relative-to", folder.path] + pages.map(\.path),
                inputFiles: pages, outputFiles: [pagesOutput]),
        ]
    }

    /// Every file under `folder`, hidden ones left out, in a stable order.
    static func files(under folder: URL) throws -> [URL] {
        guard
            let walk = FileManager.default.enumerator(
                at: folder, includingPropertiesForKeys: [.isRegularFileKey], options: [.skipsHiddenFiles])
        else { return [] }
        return try walk.compactMap { $0 as? URL }
            .filter { try $0.resourceValues(forKeys: [.isRegularFileKey]).isRegularFile == true }
            .sorted { $0.path < $1.path }
    }
}
