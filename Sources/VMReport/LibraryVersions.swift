import CCmark
import CLibXML2

/// Versions of the C libraries vmmap renders with, as linked at run time.
public enum LibraryVersions {
  /// libcmark's own version string (`cmark_version_string()`), e.g. "0.30.2".
  public static var cmark: String { String(cString: cmark_version_string()) }
  /// libxml2's version as compiled against (LIBXML_DOTTED_VERSION), e.g. "2.9.14".
  public static var libxml2: String { LIBXML_DOTTED_VERSION }
}
