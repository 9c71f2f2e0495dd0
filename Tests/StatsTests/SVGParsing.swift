import Foundation
import Testing

#if canImport(FoundationXML)
import FoundationXML
#endif

/// One element of a parsed SVG, with the text directly inside it and where its children stand.
struct ParsedElement {
    let name: String
    let attributes: [String: String]
    var text = ""
    /// Indices in `ParsedSVG.elements` of the elements directly inside this one, in document order.
    var children: [Int] = []

    func number(_ attribute: String) -> Double? {
        attributes[attribute].flatMap(Double.init)
    }
}

/// An SVG parsed by Foundation's XMLParser (libxml2): parsing fails on anything that is not well-formed XML,
/// which is what a hostile label breaking out of its text or attribute would cause.
struct ParsedSVG {
    var elements: [ParsedElement] = []

    var root: ParsedElement? { elements.first }

    func all(_ name: String, class className: String? = nil) -> [ParsedElement] {
        elements.filter { element in
            element.name == name
                && (className.map { (element.attributes["class"] ?? "").split(separator: " ").contains(Substring($0)) }
                    ?? true)
        }
    }

    /// Every text, in document order.
    var texts: [String] { elements.map(\.text).filter { !$0.isEmpty } }

    /// The elements directly inside `element`, in document order.
    func children(of element: ParsedElement) -> [ParsedElement] {
        element.children.map { elements[$0] }
    }
}

struct SVGParseError: Error, CustomStringConvertible {
    let description: String
}

/// Parses `svg`; throws when it is not well-formed.
func parseSVG(_ svg: String) throws -> ParsedSVG {
    let collector = Collector()
    let parser = XMLParser(data: Data(svg.utf8))
    parser.delegate = collector
    guard parser.parse() else {
        // The delegate hears the error as the parser reports it; parserError is the fallback.
        let cause = (collector.failure ?? parser.parserError).map(String.init(describing:)) ?? "no error given"
        throw SVGParseError(description: "not well-formed: \(cause) in \(svg.prefix(400))")
    }
    return ParsedSVG(elements: collector.elements)
}

private final class Collector: NSObject, XMLParserDelegate {
    var elements: [ParsedElement] = []
    private(set) var failure: (any Error)?
    private var open: [Int] = []

    func parser(
        _ parser: XMLParser,
        didStartElement elementName: String,
        namespaceURI: String?,
        qualifiedName qName: String?,
        attributes attributeDict: [String: String] = [:]
    ) {
        if let parent = open.last { elements[parent].children.append(elements.count) }
        open.append(elements.count)
        elements.append(ParsedElement(name: elementName, attributes: attributeDict))
    }

    func parser(
        _ parser: XMLParser,
        didEndElement elementName: String,
        namespaceURI: String?,
        qualifiedName qName: String?
    ) {
        open.removeLast()
    }

    func parser(_ parser: XMLParser, foundCharacters string: String) {
        if let index = open.last { elements[index].text += string }
    }

    func parser(_ parser: XMLParser, parseErrorOccurred parseError: any Error) {
        if failure == nil { failure = parseError }
    }
}
