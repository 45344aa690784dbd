import Foundation
import Testing
import TestSupport

/// The module map in docs/architecture.md is the dependency graph in Package.swift, every
/// dependency points down the layers, and no source file imports a module of the project
/// that its target does not declare.
@Suite struct ModuleMapTests {
    /// The layers, bottom first; a module may depend on its own layer or one below.
    static let layers = ["base", "domain", "config", "LINE", "store", "use case", "edge"]

    struct Module: Equatable {
        var layer: String
        var dependencies: Set<String>
    }

    /// `| Name | layer | dep, dep |` rows of the table under "The module map".
    static func documented() throws -> [String: Module] {
        let doc = try String(contentsOfFile: Fixtures.packageRoot + "/docs/architecture.md", encoding: .utf8)
        let start = try #require(doc.range(of: "## The module map\n")).upperBound
        let section = String(doc[start...]).components(separatedBy: "\n## ").first ?? ""
        var modules: [String: Module] = [:]
        for line in section.split(separator: "\n") where line.hasPrefix("| `") {
            let cells = line.split(separator: "|", omittingEmptySubsequences: false).map { $0.trimmingCharacters(in: .whitespaces) }
            guard cells.count >= 5 else { continue }
            let name = cells[1].trimmingCharacters(in: CharacterSet(charactersIn: "`"))
            let dependencies = cells[3] == "" || cells[3] == "—" ? [] : cells[3].split(separator: ",").map {
                $0.trimmingCharacters(in: .whitespaces).trimmingCharacters(in: CharacterSet(charactersIn: "`"))
            }
            modules[name] = Module(layer: cells[2], dependencies: Set(dependencies))
        }
        return modules
    }

    /// The product targets of Package.swift (tests and their support left out) and the targets
    /// of this package each depends on.
    static func declared() throws -> [String: Set<String>] {
        let manifest = try String(contentsOfFile: Fixtures.packageRoot + "/Package.swift", encoding: .utf8)
        let start = try #require(manifest.range(of: "targets: [")).upperBound
        let targetsText = String(manifest[start...])
        let pattern = try NSRegularExpression(pattern: #"\.(target|executableTarget|systemLibrary|testTarget)\(\s*name: "([^"]+)""#)
        let ns = targetsText as NSString
        let matches = pattern.matches(in: targetsText, range: NSRange(location: 0, length: ns.length))
        var blocks: [(kind: String, name: String, text: String)] = []
        for (index, match) in matches.enumerated() {
            let end = index + 1 < matches.count ? matches[index + 1].range.location : ns.length
            blocks.append((ns.substring(with: match.range(at: 1)), ns.substring(with: match.range(at: 2)),
                           ns.substring(with: NSRange(location: match.range.location, length: end - match.range.location))))
        }
        let names = Set(blocks.map(\.name))
        let quoted = try NSRegularExpression(pattern: #""([^"]+)""#)
        var targets: [String: Set<String>] = [:]
        for block in blocks where block.kind != "testTarget" && !block.text.contains("path: \"Tests/") {
            // Product dependencies name their package; only this package's targets count.
            let text = block.text.replacingOccurrences(of: #"\.product\([^)]*\)"#, with: "", options: .regularExpression)
            let strings = quoted.matches(in: text, range: NSRange(location: 0, length: (text as NSString).length))
                .map { (text as NSString).substring(with: $0.range(at: 1)) }
            targets[block.name] = Set(strings.filter { names.contains($0) && $0 != block.name })
        }
        return targets
    }

    @Test func theMapIsPackageSwift() throws {
        let documented = try Self.documented()
        let declared = try Self.declared()
        #expect(Set(documented.keys) == Set(declared.keys), "modules in the map and in Package.swift differ")
        for (name, dependencies) in declared {
            #expect(documented[name]?.dependencies == dependencies, "\(name): the map says \(documented[name]?.dependencies.sorted() ?? []), Package.swift \(dependencies.sorted())")
        }
    }

    @Test func everyDependencyPointsDown() throws {
        let documented = try Self.documented()
        for (name, module) in documented {
            let rank = try #require(Self.layers.firstIndex(of: module.layer), "\(name): unknown layer \(module.layer)")
            for dependency in module.dependencies {
                let theirs = try #require(documented[dependency].flatMap { Self.layers.firstIndex(of: $0.layer) }, "\(dependency) is not in the map")
                #expect(theirs <= rank, "\(name) (\(module.layer)) depends on \(dependency) (\(Self.layers[theirs])), a layer above it")
            }
        }
    }

    /// Swift lets a file import a module its target does not declare when the build happens
    /// to have built it: that hidden edge is what this refuses.
    @Test func noSourceImportsAModuleItsTargetDoesNotDeclare() throws {
        let declared = try Self.declared()
        let fm = FileManager.default
        let importLine = try NSRegularExpression(pattern: #"^(?:@testable |@_exported )?import (\w+)"#, options: .anchorsMatchLines)
        for (target, dependencies) in declared {
            let dir = Fixtures.packageRoot + "/Sources/" + target
            guard let files = fm.enumerator(atPath: dir)?.compactMap({ $0 as? String }).filter({ $0.hasSuffix(".swift") }) else { continue }
            for file in files {
                let text = try String(contentsOfFile: dir + "/" + file, encoding: .utf8)
                for match in importLine.matches(in: text, range: NSRange(location: 0, length: (text as NSString).length)) {
                    let module = (text as NSString).substring(with: match.range(at: 1))
                    guard declared[module] != nil else { continue }
                    #expect(dependencies.contains(module), "Sources/\(target)/\(file) imports \(module), which \(target) does not declare")
                }
            }
        }
    }
}
