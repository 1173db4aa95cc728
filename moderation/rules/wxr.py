"""What the WXR writer and reader (issue 15) both name: WXR's namespaces, and the
commentmeta keys under which our export carries the fields WXR has no element for, so a
round trip loses nothing."""

WXR_VERSION = "1.2"  # the version we write; the reader takes 1.0 to 1.2
# Each WXR version names its wp: namespace by its number (…/export/1.2/); excerpt: lives
# below it (…/export/1.2/excerpt/).
WP_NAMESPACE_BASE = "http://wordpress.org/export/"
CONTENT_NAMESPACE = "http://purl.org/rss/1.0/modules/content/"

META_REASON = "_moderation_reason"
META_MENTION_KIND = "_moderation_mention_kind"
META_PUBLISHED = "_moderation_published"
META_SOURCE_TITLE = "_moderation_source_title"
META_WEBSITE = "_moderation_website"  # a linkback's, when it is not its source URL
META_USER_AGENT = "_moderation_user_agent"
