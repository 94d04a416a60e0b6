import Yams

/// Parses `yaml` into a node tree with positions; a syntax error comes back placed where libyaml found it.
/// Nil for an empty document.
public func composeYAML(_ yaml: String, file: String) -> Result<Node?, ConfigError> {
    do {
        return .success(try Yams.compose(yaml: yaml))
    } catch {
        return .failure(syntaxError(error, file: file, yaml: yaml))
    }
}

/// Yams' error, placed where libyaml found the problem.
private func syntaxError(_ error: any Error, file: String, yaml: String) -> ConfigError {
    func at(_ mark: Mark) -> SourceLocation { SourceLocation(file: file, line: mark.line, column: mark.column) }
    func explain(_ problem: String, _ context: YamlError.Context?) -> String {
        guard let context else { return "YAML syntax error: \(problem)" }
        return "YAML syntax error: \(problem) (\(context.text) at \(context.mark.line):\(context.mark.column))"
    }
    switch error as? YamlError {
    case let .scanner(context, problem, mark, _), let .parser(context, problem, mark, _),
         let .composer(context, problem, mark, _):
        return ConfigError(.yamlSyntax, explain(problem, context), at: at(mark), field: "")
    case let .duplicatedKeysInMapping(duplicates, context):
        let keys = duplicates.map { "\"\($0)\"" }.joined(separator: ", ")
        return ConfigError(.duplicateKey, "duplicate key \(keys) in one mapping", at: at(context.mark), field: "")
    case let .reader(problem, offset, _, _):
        // The offset counts Characters from the start of the text.
        let prefix = yaml.prefix(offset ?? 0)
        let line = prefix.count { $0 == "\n" } + 1
        let column = prefix.split(separator: "\n", omittingEmptySubsequences: false).last.map { $0.unicodeScalars.count } ?? 0
        return ConfigError(.yamlSyntax, "YAML syntax error: \(problem)",
                              at: SourceLocation(file: file, line: line, column: column + 1), field: "")
    default:
        return ConfigError(.yamlSyntax, "YAML syntax error: \(error)",
                              at: SourceLocation(file: file, line: 1, column: 1), field: "")
    }
}
