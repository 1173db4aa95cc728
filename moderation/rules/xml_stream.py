"""Stream an XML export for the import readers (WordPress, Disqus): defusedxml's iterparse,
which stops at a DOCTYPE, an entity declaration or an external reference (billion
laughs, XXE), with the line each chosen element starts on, and a broken or hostile file
turned into MalformedFile with its line.
"""

from collections.abc import Callable, Iterator
from typing import BinaryIO, TypeVar
from xml.etree.ElementTree import Element, ParseError, TreeBuilder
from xml.parsers.expat import errors

from defusedxml import DefusedXmlException, DTDForbidden, EntitiesForbidden
from defusedxml.ElementTree import DefusedXMLParser, iterparse

from moderation.rules.imports import MalformedFile

Events = Iterator[tuple[str, Element]]
T = TypeVar("T")
# What expat says when the input stops in the middle of something: only at its end.
CUT_SHORT = {
    errors.codes[message]
    for message in (
        errors.XML_ERROR_NO_ELEMENTS,
        errors.XML_ERROR_UNCLOSED_TOKEN,
        errors.XML_ERROR_PARTIAL_CHAR,
        errors.XML_ERROR_UNCLOSED_CDATA_SECTION,
    )
}
TRUNCATED = "the file ends before its XML is complete (truncated?)"


class LineTreeBuilder(TreeBuilder):
    """A tree builder that notes the line where each element `noted(tag, depth)` chooses
    starts (iterparse reports an element only after reading a whole chunk, when the parser
    is further on). The root's depth is 1."""

    def __init__(self, noted: Callable[[str, int], bool]) -> None:
        super().__init__()
        self.noted = noted
        self.parser: DefusedXMLParser | None = None
        self.lines: dict[int, int | None] = {}  # id(element) → line: the reader pops it
        self.depth = 0

    def line(self) -> int | None:
        """The line the parser has reached."""
        return self.parser.parser.CurrentLineNumber if self.parser is not None else None

    def start(self, tag, attrs):
        element = super().start(tag, attrs)
        self.depth += 1
        if self.noted(tag, self.depth):
            self.lines[id(element)] = self.line()
        return element

    def end(self, tag):
        self.depth -= 1
        return super().end(tag)


def read(
    source: BinaryIO,
    noted: Callable[[str, int], bool],
    items: Callable[[Events, LineTreeBuilder], Iterator[T]],
) -> Iterator[T]:
    """What `items` makes of the file's start and end events; MalformedFile, with its line,
    when the file is not well-formed XML or declares a DTD."""
    builder = LineTreeBuilder(noted)
    parser = DefusedXMLParser(target=builder, forbid_dtd=True)
    builder.parser = parser
    events = iterparse(source, ("start", "end"), parser=parser)
    try:
        yield from items(events, builder)
    except ParseError as error:
        raise MalformedFile(_parse_message(error), error.position[0]) from None
    except DefusedXmlException as error:
        raise MalformedFile(f"{_refusal(error)}: not read", builder.line()) from None


def _parse_message(error: ParseError) -> str:
    """expat's message without its own "line N, column M" (MalformedFile says the line)."""
    if error.code in CUT_SHORT:
        return TRUNCATED
    return f"not well-formed XML ({errors.messages[error.code]})"


def _refusal(error: DefusedXmlException) -> str:
    if isinstance(error, DTDForbidden):
        return "a DOCTYPE (a DTD can declare entities: an entity bomb, or a file read)"
    if isinstance(error, EntitiesForbidden):
        return "an entity declaration (an entity bomb?)"
    return "an external reference"
