import CLIKit
import Foundation

let tool = CommandLineTool(
    name: "venue-syncd", version: VenueSyncd.version, root: VenueSyncd.self, globalOptions: [],
    describe: VenueSyncd.describe)
exit(tool.run(Array(CommandLine.arguments.dropFirst())))
