#include <libxml/xmlversion.h>
/* Debian's libxml2 is built with ICU; its <unicode/ucnv.h> clashes with Foundation's
   _FoundationICU. We never touch the two ICU members of xmlCharEncodingHandler. */
#undef LIBXML_ICU_ENABLED
#include <libxml/parser.h>
#include <libxml/tree.h>
#include <libxml/relaxng.h>
#include <libxml/HTMLparser.h>
#include <libxml/HTMLtree.h>
#include <libxml/xmlsave.h>
/* xmlFree is a mutable global function pointer, which Swift 6 rejects. */
static inline void cxml_free(void *p) { xmlFree(p); }
