import Foundation

/// A JSON value decoded strictly (JSONDecoder tells `true` from `1` and `1` from `1.5`, which JSONSerialization's
/// NSNumbers do not), for checking response bodies against the OpenAPI document's schemas.
indirect enum JSONValue: Decodable, Equatable {
    case null, bool(Bool), integer(Int64), number(Double), string(String), array([JSONValue]), object([String: JSONValue])

    init(from decoder: any Decoder) throws {
        let container = try decoder.singleValueContainer()
        if container.decodeNil() { self = .null }
        else if let value = try? container.decode(Bool.self) { self = .bool(value) }
        else if let value = try? container.decode(Int64.self) { self = .integer(value) }
        else if let value = try? container.decode(Double.self) { self = .number(value) }
        else if let value = try? container.decode(String.self) { self = .string(value) }
        else if let value = try? container.decode([JSONValue].self) { self = .array(value) }
        else { self = .object(try container.decode([String: JSONValue].self)) }
    }

    static func parse(_ bytes: some Sequence<UInt8>) throws -> JSONValue {
        try JSONDecoder().decode(JSONValue.self, from: Data(bytes))
    }

    subscript(_ key: String) -> JSONValue? {
        if case .object(let members) = self { return members[key] }
        return nil
    }
    var string: String? { if case .string(let value) = self { value } else { nil } }
    var object: [String: JSONValue]? { if case .object(let value) = self { value } else { nil } }
}

/// The OpenAPI document and the subset of JSON Schema it uses: `$ref`, `type`, `properties`, `required`,
/// `additionalProperties: false`, `items`, `enum`, `minimum`, `maximum`, `minLength`.
struct OpenAPIDocumentModel {
    let root: JSONValue

    init(_ text: String) throws { root = try JSONValue.parse(Array(text.utf8)) }

    /// Every (path template, method) the document describes.
    var operations: [(path: String, method: String)] {
        (root["paths"]?.object ?? [:]).flatMap { path, item in
            (item.object ?? [:]).keys.filter { $0 != "parameters" }.map { (path, $0) }
        }
    }

    /// The documented response of an operation for a status, if any.
    func response(_ path: String, _ method: String, _ status: Int) -> JSONValue? {
        guard var response = root["paths"]?[path]?[method]?["responses"]?[String(status)] else { return nil }
        if let ref = response["$ref"]?.string { response = resolve(ref) }
        return response
    }

    func resolve(_ ref: String) -> JSONValue {
        var node = root
        for part in ref.dropFirst(2).split(separator: "/") { node = node[String(part)] ?? .null }
        return node
    }

    /// Problems of `value` against `schema`, each with the JSON path where it is; empty when it conforms.
    func problems(_ value: JSONValue, _ schema: JSONValue, at path: String = "$") -> [String] {
        if let ref = schema["$ref"]?.string { return problems(value, resolve(ref), at: path) }
        var found: [String] = []
        if case .array(let allowed)? = schema["enum"], !allowed.contains(value) { found.append("\(path): \(value) not in the enum") }
        switch (schema["type"]?.string, value) {
        case (nil, _), ("string", .string), ("boolean", .bool), ("integer", .integer), ("number", .integer), ("number", .number):
            break
        case ("array", .array(let items)):
            if let itemSchema = schema["items"] {
                for (i, item) in items.enumerated() { found += problems(item, itemSchema, at: "\(path)[\(i)]") }
            }
        case ("object", .object(let members)):
            let properties = schema["properties"]?.object ?? [:]
            if case .array(let required)? = schema["required"] {
                for case .string(let name) in required where members[name] == nil { found.append("\(path): '\(name)' is missing") }
            }
            if schema["additionalProperties"] == .bool(false) {
                for name in members.keys where properties[name] == nil { found.append("\(path): '\(name)' is not documented") }
            }
            for (name, member) in members { if let sub = properties[name] { found += problems(member, sub, at: "\(path).\(name)") } }
        case (let type?, _):
            found.append("\(path): \(value) is not of type \(type)")
        }
        func number(_ v: JSONValue) -> Double? {
            switch v { case .integer(let i): Double(i); case .number(let d): d; default: nil }
        }
        if let value = number(value) {
            if let minimum = schema["minimum"].flatMap(number), value < minimum { found.append("\(path): \(value) < \(minimum)") }
            if let maximum = schema["maximum"].flatMap(number), value > maximum { found.append("\(path): \(value) > \(maximum)") }
        }
        return found
    }
}
