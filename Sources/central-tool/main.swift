import CLIKit
import Foundation

let tool = CommandLineTool(
    name: "central", version: CentralTool.version, root: CentralTool.self,
    globalOptions: CentralTool.globalOptions, describe: CentralTool.describe)
exit(tool.run(Array(CommandLine.arguments.dropFirst())))
