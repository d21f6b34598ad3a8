from google.protobuf.internal import containers as _containers
from google.protobuf import descriptor as _descriptor
from google.protobuf import message as _message
from collections.abc import Iterable as _Iterable, Mapping as _Mapping
from typing import ClassVar as _ClassVar, Optional as _Optional, Union as _Union

DESCRIPTOR: _descriptor.FileDescriptor

class PushHeader(_message.Message):
    __slots__ = ("key", "value")
    KEY_FIELD_NUMBER: _ClassVar[int]
    VALUE_FIELD_NUMBER: _ClassVar[int]
    key: str
    value: str
    def __init__(self, key: _Optional[str] = ..., value: _Optional[str] = ...) -> None: ...

class WebcastPushFrame(_message.Message):
    __slots__ = ("seq_id", "log_id", "service", "method", "headers", "payload_encoding", "payload_type", "payload")
    SEQ_ID_FIELD_NUMBER: _ClassVar[int]
    LOG_ID_FIELD_NUMBER: _ClassVar[int]
    SERVICE_FIELD_NUMBER: _ClassVar[int]
    METHOD_FIELD_NUMBER: _ClassVar[int]
    HEADERS_FIELD_NUMBER: _ClassVar[int]
    PAYLOAD_ENCODING_FIELD_NUMBER: _ClassVar[int]
    PAYLOAD_TYPE_FIELD_NUMBER: _ClassVar[int]
    PAYLOAD_FIELD_NUMBER: _ClassVar[int]
    seq_id: int
    log_id: int
    service: int
    method: int
    headers: _containers.RepeatedCompositeFieldContainer[PushHeader]
    payload_encoding: str
    payload_type: str
    payload: bytes
    def __init__(self, seq_id: _Optional[int] = ..., log_id: _Optional[int] = ..., service: _Optional[int] = ..., method: _Optional[int] = ..., headers: _Optional[_Iterable[_Union[PushHeader, _Mapping]]] = ..., payload_encoding: _Optional[str] = ..., payload_type: _Optional[str] = ..., payload: _Optional[bytes] = ...) -> None: ...

class ProtoMessageFetchResult(_message.Message):
    __slots__ = ("messages", "cursor", "fetch_interval", "now", "internal_ext", "fetch_type", "route_params", "heartbeat_duration", "need_ack", "push_server", "is_first", "history_comment_cursor", "history_no_more")
    class RouteParamsEntry(_message.Message):
        __slots__ = ("key", "value")
        KEY_FIELD_NUMBER: _ClassVar[int]
        VALUE_FIELD_NUMBER: _ClassVar[int]
        key: str
        value: str
        def __init__(self, key: _Optional[str] = ..., value: _Optional[str] = ...) -> None: ...
    MESSAGES_FIELD_NUMBER: _ClassVar[int]
    CURSOR_FIELD_NUMBER: _ClassVar[int]
    FETCH_INTERVAL_FIELD_NUMBER: _ClassVar[int]
    NOW_FIELD_NUMBER: _ClassVar[int]
    INTERNAL_EXT_FIELD_NUMBER: _ClassVar[int]
    FETCH_TYPE_FIELD_NUMBER: _ClassVar[int]
    ROUTE_PARAMS_FIELD_NUMBER: _ClassVar[int]
    HEARTBEAT_DURATION_FIELD_NUMBER: _ClassVar[int]
    NEED_ACK_FIELD_NUMBER: _ClassVar[int]
    PUSH_SERVER_FIELD_NUMBER: _ClassVar[int]
    IS_FIRST_FIELD_NUMBER: _ClassVar[int]
    HISTORY_COMMENT_CURSOR_FIELD_NUMBER: _ClassVar[int]
    HISTORY_NO_MORE_FIELD_NUMBER: _ClassVar[int]
    messages: _containers.RepeatedCompositeFieldContainer[BaseProtoMessage]
    cursor: str
    fetch_interval: int
    now: int
    internal_ext: str
    fetch_type: int
    route_params: _containers.ScalarMap[str, str]
    heartbeat_duration: int
    need_ack: bool
    push_server: str
    is_first: bool
    history_comment_cursor: str
    history_no_more: bool
    def __init__(self, messages: _Optional[_Iterable[_Union[BaseProtoMessage, _Mapping]]] = ..., cursor: _Optional[str] = ..., fetch_interval: _Optional[int] = ..., now: _Optional[int] = ..., internal_ext: _Optional[str] = ..., fetch_type: _Optional[int] = ..., route_params: _Optional[_Mapping[str, str]] = ..., heartbeat_duration: _Optional[int] = ..., need_ack: _Optional[bool] = ..., push_server: _Optional[str] = ..., is_first: _Optional[bool] = ..., history_comment_cursor: _Optional[str] = ..., history_no_more: _Optional[bool] = ...) -> None: ...

class BaseProtoMessage(_message.Message):
    __slots__ = ("method", "payload", "msg_id", "msg_type", "offset", "is_history", "sample_flag")
    METHOD_FIELD_NUMBER: _ClassVar[int]
    PAYLOAD_FIELD_NUMBER: _ClassVar[int]
    MSG_ID_FIELD_NUMBER: _ClassVar[int]
    MSG_TYPE_FIELD_NUMBER: _ClassVar[int]
    OFFSET_FIELD_NUMBER: _ClassVar[int]
    IS_HISTORY_FIELD_NUMBER: _ClassVar[int]
    SAMPLE_FLAG_FIELD_NUMBER: _ClassVar[int]
    method: str
    payload: bytes
    msg_id: int
    msg_type: int
    offset: int
    is_history: bool
    sample_flag: int
    def __init__(self, method: _Optional[str] = ..., payload: _Optional[bytes] = ..., msg_id: _Optional[int] = ..., msg_type: _Optional[int] = ..., offset: _Optional[int] = ..., is_history: _Optional[bool] = ..., sample_flag: _Optional[int] = ...) -> None: ...

class HeartBeatMessage(_message.Message):
    __slots__ = ("room_id", "send_packet_seq_id")
    ROOM_ID_FIELD_NUMBER: _ClassVar[int]
    SEND_PACKET_SEQ_ID_FIELD_NUMBER: _ClassVar[int]
    room_id: int
    send_packet_seq_id: int
    def __init__(self, room_id: _Optional[int] = ..., send_packet_seq_id: _Optional[int] = ...) -> None: ...

class WebcastImEnterRoomMessage(_message.Message):
    __slots__ = ("room_id", "room_tag", "live_region", "live_id", "identity", "cursor", "account_type", "enter_unique_id", "filter_welcome_msg", "is_anchor_continue_keep_msg")
    ROOM_ID_FIELD_NUMBER: _ClassVar[int]
    ROOM_TAG_FIELD_NUMBER: _ClassVar[int]
    LIVE_REGION_FIELD_NUMBER: _ClassVar[int]
    LIVE_ID_FIELD_NUMBER: _ClassVar[int]
    IDENTITY_FIELD_NUMBER: _ClassVar[int]
    CURSOR_FIELD_NUMBER: _ClassVar[int]
    ACCOUNT_TYPE_FIELD_NUMBER: _ClassVar[int]
    ENTER_UNIQUE_ID_FIELD_NUMBER: _ClassVar[int]
    FILTER_WELCOME_MSG_FIELD_NUMBER: _ClassVar[int]
    IS_ANCHOR_CONTINUE_KEEP_MSG_FIELD_NUMBER: _ClassVar[int]
    room_id: int
    room_tag: str
    live_region: str
    live_id: int
    identity: str
    cursor: str
    account_type: int
    enter_unique_id: int
    filter_welcome_msg: str
    is_anchor_continue_keep_msg: bool
    def __init__(self, room_id: _Optional[int] = ..., room_tag: _Optional[str] = ..., live_region: _Optional[str] = ..., live_id: _Optional[int] = ..., identity: _Optional[str] = ..., cursor: _Optional[str] = ..., account_type: _Optional[int] = ..., enter_unique_id: _Optional[int] = ..., filter_welcome_msg: _Optional[str] = ..., is_anchor_continue_keep_msg: _Optional[bool] = ...) -> None: ...

class CommonMessageData(_message.Message):
    __slots__ = ("method", "msg_id", "room_id", "create_time", "monitor", "is_show_msg", "describe", "display_text", "log_id", "client_send_time")
    METHOD_FIELD_NUMBER: _ClassVar[int]
    MSG_ID_FIELD_NUMBER: _ClassVar[int]
    ROOM_ID_FIELD_NUMBER: _ClassVar[int]
    CREATE_TIME_FIELD_NUMBER: _ClassVar[int]
    MONITOR_FIELD_NUMBER: _ClassVar[int]
    IS_SHOW_MSG_FIELD_NUMBER: _ClassVar[int]
    DESCRIBE_FIELD_NUMBER: _ClassVar[int]
    DISPLAY_TEXT_FIELD_NUMBER: _ClassVar[int]
    LOG_ID_FIELD_NUMBER: _ClassVar[int]
    CLIENT_SEND_TIME_FIELD_NUMBER: _ClassVar[int]
    method: str
    msg_id: int
    room_id: int
    create_time: int
    monitor: int
    is_show_msg: bool
    describe: str
    display_text: Text
    log_id: str
    client_send_time: int
    def __init__(self, method: _Optional[str] = ..., msg_id: _Optional[int] = ..., room_id: _Optional[int] = ..., create_time: _Optional[int] = ..., monitor: _Optional[int] = ..., is_show_msg: _Optional[bool] = ..., describe: _Optional[str] = ..., display_text: _Optional[_Union[Text, _Mapping]] = ..., log_id: _Optional[str] = ..., client_send_time: _Optional[int] = ...) -> None: ...

class Text(_message.Message):
    __slots__ = ("key", "default_pattern", "pieces")
    KEY_FIELD_NUMBER: _ClassVar[int]
    DEFAULT_PATTERN_FIELD_NUMBER: _ClassVar[int]
    PIECES_FIELD_NUMBER: _ClassVar[int]
    key: str
    default_pattern: str
    pieces: _containers.RepeatedCompositeFieldContainer[TextPiece]
    def __init__(self, key: _Optional[str] = ..., default_pattern: _Optional[str] = ..., pieces: _Optional[_Iterable[_Union[TextPiece, _Mapping]]] = ...) -> None: ...

class TextPiece(_message.Message):
    __slots__ = ("type", "string_value", "user_value", "gift_value")
    TYPE_FIELD_NUMBER: _ClassVar[int]
    STRING_VALUE_FIELD_NUMBER: _ClassVar[int]
    USER_VALUE_FIELD_NUMBER: _ClassVar[int]
    GIFT_VALUE_FIELD_NUMBER: _ClassVar[int]
    type: int
    string_value: str
    user_value: TextPieceUser
    gift_value: TextPieceGift
    def __init__(self, type: _Optional[int] = ..., string_value: _Optional[str] = ..., user_value: _Optional[_Union[TextPieceUser, _Mapping]] = ..., gift_value: _Optional[_Union[TextPieceGift, _Mapping]] = ...) -> None: ...

class TextPieceUser(_message.Message):
    __slots__ = ("user", "with_colon")
    USER_FIELD_NUMBER: _ClassVar[int]
    WITH_COLON_FIELD_NUMBER: _ClassVar[int]
    user: User
    with_colon: bool
    def __init__(self, user: _Optional[_Union[User, _Mapping]] = ..., with_colon: _Optional[bool] = ...) -> None: ...

class PatternRef(_message.Message):
    __slots__ = ("key", "default_pattern")
    KEY_FIELD_NUMBER: _ClassVar[int]
    DEFAULT_PATTERN_FIELD_NUMBER: _ClassVar[int]
    key: str
    default_pattern: str
    def __init__(self, key: _Optional[str] = ..., default_pattern: _Optional[str] = ...) -> None: ...

class TextPieceGift(_message.Message):
    __slots__ = ("gift_id", "name_ref")
    GIFT_ID_FIELD_NUMBER: _ClassVar[int]
    NAME_REF_FIELD_NUMBER: _ClassVar[int]
    gift_id: int
    name_ref: PatternRef
    def __init__(self, gift_id: _Optional[int] = ..., name_ref: _Optional[_Union[PatternRef, _Mapping]] = ...) -> None: ...

class ImageModel(_message.Message):
    __slots__ = ("url_list", "uri", "height", "width", "avg_color", "image_type", "is_animated")
    URL_LIST_FIELD_NUMBER: _ClassVar[int]
    URI_FIELD_NUMBER: _ClassVar[int]
    HEIGHT_FIELD_NUMBER: _ClassVar[int]
    WIDTH_FIELD_NUMBER: _ClassVar[int]
    AVG_COLOR_FIELD_NUMBER: _ClassVar[int]
    IMAGE_TYPE_FIELD_NUMBER: _ClassVar[int]
    IS_ANIMATED_FIELD_NUMBER: _ClassVar[int]
    url_list: _containers.RepeatedScalarFieldContainer[str]
    uri: str
    height: int
    width: int
    avg_color: str
    image_type: int
    is_animated: bool
    def __init__(self, url_list: _Optional[_Iterable[str]] = ..., uri: _Optional[str] = ..., height: _Optional[int] = ..., width: _Optional[int] = ..., avg_color: _Optional[str] = ..., image_type: _Optional[int] = ..., is_animated: _Optional[bool] = ...) -> None: ...

class FollowInfo(_message.Message):
    __slots__ = ("following_count", "follower_count", "follow_status", "push_status")
    FOLLOWING_COUNT_FIELD_NUMBER: _ClassVar[int]
    FOLLOWER_COUNT_FIELD_NUMBER: _ClassVar[int]
    FOLLOW_STATUS_FIELD_NUMBER: _ClassVar[int]
    PUSH_STATUS_FIELD_NUMBER: _ClassVar[int]
    following_count: int
    follower_count: int
    follow_status: int
    push_status: int
    def __init__(self, following_count: _Optional[int] = ..., follower_count: _Optional[int] = ..., follow_status: _Optional[int] = ..., push_status: _Optional[int] = ...) -> None: ...

class FansClubData(_message.Message):
    __slots__ = ("club_name", "level")
    CLUB_NAME_FIELD_NUMBER: _ClassVar[int]
    LEVEL_FIELD_NUMBER: _ClassVar[int]
    club_name: str
    level: int
    def __init__(self, club_name: _Optional[str] = ..., level: _Optional[int] = ...) -> None: ...

class FansClubMember(_message.Message):
    __slots__ = ("data",)
    DATA_FIELD_NUMBER: _ClassVar[int]
    data: FansClubData
    def __init__(self, data: _Optional[_Union[FansClubData, _Mapping]] = ...) -> None: ...

class UserAttr(_message.Message):
    __slots__ = ("is_muted", "is_admin", "is_super_admin")
    IS_MUTED_FIELD_NUMBER: _ClassVar[int]
    IS_ADMIN_FIELD_NUMBER: _ClassVar[int]
    IS_SUPER_ADMIN_FIELD_NUMBER: _ClassVar[int]
    is_muted: bool
    is_admin: bool
    is_super_admin: bool
    def __init__(self, is_muted: _Optional[bool] = ..., is_admin: _Optional[bool] = ..., is_super_admin: _Optional[bool] = ...) -> None: ...

class SubscribeInfo(_message.Message):
    __slots__ = ("is_subscribe", "is_subscribed_to_anchor")
    IS_SUBSCRIBE_FIELD_NUMBER: _ClassVar[int]
    IS_SUBSCRIBED_TO_ANCHOR_FIELD_NUMBER: _ClassVar[int]
    is_subscribe: bool
    is_subscribed_to_anchor: bool
    def __init__(self, is_subscribe: _Optional[bool] = ..., is_subscribed_to_anchor: _Optional[bool] = ...) -> None: ...

class PrivilegeLogExtra(_message.Message):
    __slots__ = ("data_version", "privilege_id", "privilege_version", "privilege_order_id", "level", "start_time", "end_time")
    DATA_VERSION_FIELD_NUMBER: _ClassVar[int]
    PRIVILEGE_ID_FIELD_NUMBER: _ClassVar[int]
    PRIVILEGE_VERSION_FIELD_NUMBER: _ClassVar[int]
    PRIVILEGE_ORDER_ID_FIELD_NUMBER: _ClassVar[int]
    LEVEL_FIELD_NUMBER: _ClassVar[int]
    START_TIME_FIELD_NUMBER: _ClassVar[int]
    END_TIME_FIELD_NUMBER: _ClassVar[int]
    data_version: str
    privilege_id: str
    privilege_version: str
    privilege_order_id: str
    level: str
    start_time: str
    end_time: str
    def __init__(self, data_version: _Optional[str] = ..., privilege_id: _Optional[str] = ..., privilege_version: _Optional[str] = ..., privilege_order_id: _Optional[str] = ..., level: _Optional[str] = ..., start_time: _Optional[str] = ..., end_time: _Optional[str] = ...) -> None: ...

class ImageBadge(_message.Message):
    __slots__ = ("display_type", "image")
    DISPLAY_TYPE_FIELD_NUMBER: _ClassVar[int]
    IMAGE_FIELD_NUMBER: _ClassVar[int]
    display_type: int
    image: ImageModel
    def __init__(self, display_type: _Optional[int] = ..., image: _Optional[_Union[ImageModel, _Mapping]] = ...) -> None: ...

class TextBadge(_message.Message):
    __slots__ = ("display_type", "key", "default_pattern", "pieces")
    DISPLAY_TYPE_FIELD_NUMBER: _ClassVar[int]
    KEY_FIELD_NUMBER: _ClassVar[int]
    DEFAULT_PATTERN_FIELD_NUMBER: _ClassVar[int]
    PIECES_FIELD_NUMBER: _ClassVar[int]
    display_type: int
    key: str
    default_pattern: str
    pieces: _containers.RepeatedScalarFieldContainer[str]
    def __init__(self, display_type: _Optional[int] = ..., key: _Optional[str] = ..., default_pattern: _Optional[str] = ..., pieces: _Optional[_Iterable[str]] = ...) -> None: ...

class StringBadge(_message.Message):
    __slots__ = ("display_type", "str")
    DISPLAY_TYPE_FIELD_NUMBER: _ClassVar[int]
    STR_FIELD_NUMBER: _ClassVar[int]
    display_type: int
    str: str
    def __init__(self, display_type: _Optional[int] = ..., str: _Optional[str] = ...) -> None: ...

class CombineBadgeStruct(_message.Message):
    __slots__ = ("icon", "str")
    ICON_FIELD_NUMBER: _ClassVar[int]
    STR_FIELD_NUMBER: _ClassVar[int]
    icon: ImageModel
    str: str
    def __init__(self, icon: _Optional[_Union[ImageModel, _Mapping]] = ..., str: _Optional[str] = ...) -> None: ...

class BadgeStruct(_message.Message):
    __slots__ = ("display_type", "priority_type", "scene_type", "position", "display_status", "greyed_by_client", "exhibition_type", "openweburl", "display", "privilege_log_extra", "image", "text", "str", "combine", "is_customized")
    DISPLAY_TYPE_FIELD_NUMBER: _ClassVar[int]
    PRIORITY_TYPE_FIELD_NUMBER: _ClassVar[int]
    SCENE_TYPE_FIELD_NUMBER: _ClassVar[int]
    POSITION_FIELD_NUMBER: _ClassVar[int]
    DISPLAY_STATUS_FIELD_NUMBER: _ClassVar[int]
    GREYED_BY_CLIENT_FIELD_NUMBER: _ClassVar[int]
    EXHIBITION_TYPE_FIELD_NUMBER: _ClassVar[int]
    OPENWEBURL_FIELD_NUMBER: _ClassVar[int]
    DISPLAY_FIELD_NUMBER: _ClassVar[int]
    PRIVILEGE_LOG_EXTRA_FIELD_NUMBER: _ClassVar[int]
    IMAGE_FIELD_NUMBER: _ClassVar[int]
    TEXT_FIELD_NUMBER: _ClassVar[int]
    STR_FIELD_NUMBER: _ClassVar[int]
    COMBINE_FIELD_NUMBER: _ClassVar[int]
    IS_CUSTOMIZED_FIELD_NUMBER: _ClassVar[int]
    display_type: int
    priority_type: int
    scene_type: int
    position: int
    display_status: int
    greyed_by_client: bool
    exhibition_type: int
    openweburl: str
    display: bool
    privilege_log_extra: PrivilegeLogExtra
    image: ImageBadge
    text: TextBadge
    str: StringBadge
    combine: CombineBadgeStruct
    is_customized: bool
    def __init__(self, display_type: _Optional[int] = ..., priority_type: _Optional[int] = ..., scene_type: _Optional[int] = ..., position: _Optional[int] = ..., display_status: _Optional[int] = ..., greyed_by_client: _Optional[bool] = ..., exhibition_type: _Optional[int] = ..., openweburl: _Optional[str] = ..., display: _Optional[bool] = ..., privilege_log_extra: _Optional[_Union[PrivilegeLogExtra, _Mapping]] = ..., image: _Optional[_Union[ImageBadge, _Mapping]] = ..., text: _Optional[_Union[TextBadge, _Mapping]] = ..., str: _Optional[_Union[StringBadge, _Mapping]] = ..., combine: _Optional[_Union[CombineBadgeStruct, _Mapping]] = ..., is_customized: _Optional[bool] = ...) -> None: ...

class User(_message.Message):
    __slots__ = ("id", "nickname", "bio_description", "avatar_thumb", "avatar_medium", "avatar_large", "verified", "create_time", "follow_info", "fans_club", "user_attr", "display_id", "sec_uid", "subscribe_info", "badge_list", "follow_status", "id_str", "is_follower", "is_following")
    ID_FIELD_NUMBER: _ClassVar[int]
    NICKNAME_FIELD_NUMBER: _ClassVar[int]
    BIO_DESCRIPTION_FIELD_NUMBER: _ClassVar[int]
    AVATAR_THUMB_FIELD_NUMBER: _ClassVar[int]
    AVATAR_MEDIUM_FIELD_NUMBER: _ClassVar[int]
    AVATAR_LARGE_FIELD_NUMBER: _ClassVar[int]
    VERIFIED_FIELD_NUMBER: _ClassVar[int]
    CREATE_TIME_FIELD_NUMBER: _ClassVar[int]
    FOLLOW_INFO_FIELD_NUMBER: _ClassVar[int]
    FANS_CLUB_FIELD_NUMBER: _ClassVar[int]
    USER_ATTR_FIELD_NUMBER: _ClassVar[int]
    DISPLAY_ID_FIELD_NUMBER: _ClassVar[int]
    SEC_UID_FIELD_NUMBER: _ClassVar[int]
    SUBSCRIBE_INFO_FIELD_NUMBER: _ClassVar[int]
    BADGE_LIST_FIELD_NUMBER: _ClassVar[int]
    FOLLOW_STATUS_FIELD_NUMBER: _ClassVar[int]
    ID_STR_FIELD_NUMBER: _ClassVar[int]
    IS_FOLLOWER_FIELD_NUMBER: _ClassVar[int]
    IS_FOLLOWING_FIELD_NUMBER: _ClassVar[int]
    id: int
    nickname: str
    bio_description: str
    avatar_thumb: ImageModel
    avatar_medium: ImageModel
    avatar_large: ImageModel
    verified: bool
    create_time: int
    follow_info: FollowInfo
    fans_club: FansClubMember
    user_attr: UserAttr
    display_id: str
    sec_uid: str
    subscribe_info: SubscribeInfo
    badge_list: _containers.RepeatedCompositeFieldContainer[BadgeStruct]
    follow_status: int
    id_str: str
    is_follower: bool
    is_following: bool
    def __init__(self, id: _Optional[int] = ..., nickname: _Optional[str] = ..., bio_description: _Optional[str] = ..., avatar_thumb: _Optional[_Union[ImageModel, _Mapping]] = ..., avatar_medium: _Optional[_Union[ImageModel, _Mapping]] = ..., avatar_large: _Optional[_Union[ImageModel, _Mapping]] = ..., verified: _Optional[bool] = ..., create_time: _Optional[int] = ..., follow_info: _Optional[_Union[FollowInfo, _Mapping]] = ..., fans_club: _Optional[_Union[FansClubMember, _Mapping]] = ..., user_attr: _Optional[_Union[UserAttr, _Mapping]] = ..., display_id: _Optional[str] = ..., sec_uid: _Optional[str] = ..., subscribe_info: _Optional[_Union[SubscribeInfo, _Mapping]] = ..., badge_list: _Optional[_Iterable[_Union[BadgeStruct, _Mapping]]] = ..., follow_status: _Optional[int] = ..., id_str: _Optional[str] = ..., is_follower: _Optional[bool] = ..., is_following: _Optional[bool] = ...) -> None: ...

class UserIdentity(_message.Message):
    __slots__ = ("is_gift_giver_of_anchor", "is_subscriber_of_anchor", "is_mutual_following_with_anchor", "is_follower_of_anchor", "is_moderator_of_anchor", "is_anchor")
    IS_GIFT_GIVER_OF_ANCHOR_FIELD_NUMBER: _ClassVar[int]
    IS_SUBSCRIBER_OF_ANCHOR_FIELD_NUMBER: _ClassVar[int]
    IS_MUTUAL_FOLLOWING_WITH_ANCHOR_FIELD_NUMBER: _ClassVar[int]
    IS_FOLLOWER_OF_ANCHOR_FIELD_NUMBER: _ClassVar[int]
    IS_MODERATOR_OF_ANCHOR_FIELD_NUMBER: _ClassVar[int]
    IS_ANCHOR_FIELD_NUMBER: _ClassVar[int]
    is_gift_giver_of_anchor: bool
    is_subscriber_of_anchor: bool
    is_mutual_following_with_anchor: bool
    is_follower_of_anchor: bool
    is_moderator_of_anchor: bool
    is_anchor: bool
    def __init__(self, is_gift_giver_of_anchor: _Optional[bool] = ..., is_subscriber_of_anchor: _Optional[bool] = ..., is_mutual_following_with_anchor: _Optional[bool] = ..., is_follower_of_anchor: _Optional[bool] = ..., is_moderator_of_anchor: _Optional[bool] = ..., is_anchor: _Optional[bool] = ...) -> None: ...

class EmoteModel(_message.Message):
    __slots__ = ("emote_id", "image", "audit_status", "uuid", "emote_type", "package_id")
    EMOTE_ID_FIELD_NUMBER: _ClassVar[int]
    IMAGE_FIELD_NUMBER: _ClassVar[int]
    AUDIT_STATUS_FIELD_NUMBER: _ClassVar[int]
    UUID_FIELD_NUMBER: _ClassVar[int]
    EMOTE_TYPE_FIELD_NUMBER: _ClassVar[int]
    PACKAGE_ID_FIELD_NUMBER: _ClassVar[int]
    emote_id: str
    image: ImageModel
    audit_status: int
    uuid: str
    emote_type: int
    package_id: int
    def __init__(self, emote_id: _Optional[str] = ..., image: _Optional[_Union[ImageModel, _Mapping]] = ..., audit_status: _Optional[int] = ..., uuid: _Optional[str] = ..., emote_type: _Optional[int] = ..., package_id: _Optional[int] = ...) -> None: ...

class EmoteWithIndex(_message.Message):
    __slots__ = ("index", "emote")
    INDEX_FIELD_NUMBER: _ClassVar[int]
    EMOTE_FIELD_NUMBER: _ClassVar[int]
    index: int
    emote: EmoteModel
    def __init__(self, index: _Optional[int] = ..., emote: _Optional[_Union[EmoteModel, _Mapping]] = ...) -> None: ...

class WebcastChatMessage(_message.Message):
    __slots__ = ("common", "user", "content", "visible_to_sender", "at_user", "emotes", "content_language", "user_identity", "mention_user_list", "mention_users")
    COMMON_FIELD_NUMBER: _ClassVar[int]
    USER_FIELD_NUMBER: _ClassVar[int]
    CONTENT_FIELD_NUMBER: _ClassVar[int]
    VISIBLE_TO_SENDER_FIELD_NUMBER: _ClassVar[int]
    AT_USER_FIELD_NUMBER: _ClassVar[int]
    EMOTES_FIELD_NUMBER: _ClassVar[int]
    CONTENT_LANGUAGE_FIELD_NUMBER: _ClassVar[int]
    USER_IDENTITY_FIELD_NUMBER: _ClassVar[int]
    MENTION_USER_LIST_FIELD_NUMBER: _ClassVar[int]
    MENTION_USERS_FIELD_NUMBER: _ClassVar[int]
    common: CommonMessageData
    user: User
    content: str
    visible_to_sender: bool
    at_user: User
    emotes: _containers.RepeatedCompositeFieldContainer[EmoteWithIndex]
    content_language: str
    user_identity: UserIdentity
    mention_user_list: _containers.RepeatedScalarFieldContainer[int]
    mention_users: _containers.RepeatedCompositeFieldContainer[User]
    def __init__(self, common: _Optional[_Union[CommonMessageData, _Mapping]] = ..., user: _Optional[_Union[User, _Mapping]] = ..., content: _Optional[str] = ..., visible_to_sender: _Optional[bool] = ..., at_user: _Optional[_Union[User, _Mapping]] = ..., emotes: _Optional[_Iterable[_Union[EmoteWithIndex, _Mapping]]] = ..., content_language: _Optional[str] = ..., user_identity: _Optional[_Union[UserIdentity, _Mapping]] = ..., mention_user_list: _Optional[_Iterable[int]] = ..., mention_users: _Optional[_Iterable[_Union[User, _Mapping]]] = ...) -> None: ...

class Gift(_message.Message):
    __slots__ = ("image", "describe", "duration", "id", "for_linkmic", "combo", "type", "diamond_count", "is_displayed_on_panel", "name", "icon", "gift_sub_type")
    IMAGE_FIELD_NUMBER: _ClassVar[int]
    DESCRIBE_FIELD_NUMBER: _ClassVar[int]
    DURATION_FIELD_NUMBER: _ClassVar[int]
    ID_FIELD_NUMBER: _ClassVar[int]
    FOR_LINKMIC_FIELD_NUMBER: _ClassVar[int]
    COMBO_FIELD_NUMBER: _ClassVar[int]
    TYPE_FIELD_NUMBER: _ClassVar[int]
    DIAMOND_COUNT_FIELD_NUMBER: _ClassVar[int]
    IS_DISPLAYED_ON_PANEL_FIELD_NUMBER: _ClassVar[int]
    NAME_FIELD_NUMBER: _ClassVar[int]
    ICON_FIELD_NUMBER: _ClassVar[int]
    GIFT_SUB_TYPE_FIELD_NUMBER: _ClassVar[int]
    image: ImageModel
    describe: str
    duration: int
    id: int
    for_linkmic: bool
    combo: bool
    type: int
    diamond_count: int
    is_displayed_on_panel: bool
    name: str
    icon: ImageModel
    gift_sub_type: int
    def __init__(self, image: _Optional[_Union[ImageModel, _Mapping]] = ..., describe: _Optional[str] = ..., duration: _Optional[int] = ..., id: _Optional[int] = ..., for_linkmic: _Optional[bool] = ..., combo: _Optional[bool] = ..., type: _Optional[int] = ..., diamond_count: _Optional[int] = ..., is_displayed_on_panel: _Optional[bool] = ..., name: _Optional[str] = ..., icon: _Optional[_Union[ImageModel, _Mapping]] = ..., gift_sub_type: _Optional[int] = ...) -> None: ...

class GiftMonitorInfo(_message.Message):
    __slots__ = ("anchor_id", "send_gift_send_message_success_ms", "to_user_id")
    ANCHOR_ID_FIELD_NUMBER: _ClassVar[int]
    SEND_GIFT_SEND_MESSAGE_SUCCESS_MS_FIELD_NUMBER: _ClassVar[int]
    TO_USER_ID_FIELD_NUMBER: _ClassVar[int]
    anchor_id: int
    send_gift_send_message_success_ms: int
    to_user_id: int
    def __init__(self, anchor_id: _Optional[int] = ..., send_gift_send_message_success_ms: _Optional[int] = ..., to_user_id: _Optional[int] = ...) -> None: ...

class WebcastGiftMessage(_message.Message):
    __slots__ = ("common", "gift_id", "fan_ticket_count", "group_count", "repeat_count", "combo_count", "user", "to_user", "repeat_end", "group_id", "gift", "log_id", "monitor_extra", "monitor_info", "is_first_sent", "user_identity", "to_member_id", "to_member_id_int", "to_member_nickname")
    COMMON_FIELD_NUMBER: _ClassVar[int]
    GIFT_ID_FIELD_NUMBER: _ClassVar[int]
    FAN_TICKET_COUNT_FIELD_NUMBER: _ClassVar[int]
    GROUP_COUNT_FIELD_NUMBER: _ClassVar[int]
    REPEAT_COUNT_FIELD_NUMBER: _ClassVar[int]
    COMBO_COUNT_FIELD_NUMBER: _ClassVar[int]
    USER_FIELD_NUMBER: _ClassVar[int]
    TO_USER_FIELD_NUMBER: _ClassVar[int]
    REPEAT_END_FIELD_NUMBER: _ClassVar[int]
    GROUP_ID_FIELD_NUMBER: _ClassVar[int]
    GIFT_FIELD_NUMBER: _ClassVar[int]
    LOG_ID_FIELD_NUMBER: _ClassVar[int]
    MONITOR_EXTRA_FIELD_NUMBER: _ClassVar[int]
    MONITOR_INFO_FIELD_NUMBER: _ClassVar[int]
    IS_FIRST_SENT_FIELD_NUMBER: _ClassVar[int]
    USER_IDENTITY_FIELD_NUMBER: _ClassVar[int]
    TO_MEMBER_ID_FIELD_NUMBER: _ClassVar[int]
    TO_MEMBER_ID_INT_FIELD_NUMBER: _ClassVar[int]
    TO_MEMBER_NICKNAME_FIELD_NUMBER: _ClassVar[int]
    common: CommonMessageData
    gift_id: int
    fan_ticket_count: int
    group_count: int
    repeat_count: int
    combo_count: int
    user: User
    to_user: User
    repeat_end: int
    group_id: int
    gift: Gift
    log_id: str
    monitor_extra: str
    monitor_info: GiftMonitorInfo
    is_first_sent: bool
    user_identity: UserIdentity
    to_member_id: str
    to_member_id_int: int
    to_member_nickname: str
    def __init__(self, common: _Optional[_Union[CommonMessageData, _Mapping]] = ..., gift_id: _Optional[int] = ..., fan_ticket_count: _Optional[int] = ..., group_count: _Optional[int] = ..., repeat_count: _Optional[int] = ..., combo_count: _Optional[int] = ..., user: _Optional[_Union[User, _Mapping]] = ..., to_user: _Optional[_Union[User, _Mapping]] = ..., repeat_end: _Optional[int] = ..., group_id: _Optional[int] = ..., gift: _Optional[_Union[Gift, _Mapping]] = ..., log_id: _Optional[str] = ..., monitor_extra: _Optional[str] = ..., monitor_info: _Optional[_Union[GiftMonitorInfo, _Mapping]] = ..., is_first_sent: _Optional[bool] = ..., user_identity: _Optional[_Union[UserIdentity, _Mapping]] = ..., to_member_id: _Optional[str] = ..., to_member_id_int: _Optional[int] = ..., to_member_nickname: _Optional[str] = ...) -> None: ...

class WebcastLikeMessage(_message.Message):
    __slots__ = ("common", "count", "total", "color", "user", "effect_cnt")
    COMMON_FIELD_NUMBER: _ClassVar[int]
    COUNT_FIELD_NUMBER: _ClassVar[int]
    TOTAL_FIELD_NUMBER: _ClassVar[int]
    COLOR_FIELD_NUMBER: _ClassVar[int]
    USER_FIELD_NUMBER: _ClassVar[int]
    EFFECT_CNT_FIELD_NUMBER: _ClassVar[int]
    common: CommonMessageData
    count: int
    total: int
    color: int
    user: User
    effect_cnt: int
    def __init__(self, common: _Optional[_Union[CommonMessageData, _Mapping]] = ..., count: _Optional[int] = ..., total: _Optional[int] = ..., color: _Optional[int] = ..., user: _Optional[_Union[User, _Mapping]] = ..., effect_cnt: _Optional[int] = ...) -> None: ...

class WebcastMemberMessage(_message.Message):
    __slots__ = ("common", "user", "member_count", "operator", "is_set_to_admin", "is_top_user", "rank_score", "top_user_no", "enter_type", "action", "action_description", "user_id", "anchor_display_text", "client_enter_source", "client_enter_type")
    COMMON_FIELD_NUMBER: _ClassVar[int]
    USER_FIELD_NUMBER: _ClassVar[int]
    MEMBER_COUNT_FIELD_NUMBER: _ClassVar[int]
    OPERATOR_FIELD_NUMBER: _ClassVar[int]
    IS_SET_TO_ADMIN_FIELD_NUMBER: _ClassVar[int]
    IS_TOP_USER_FIELD_NUMBER: _ClassVar[int]
    RANK_SCORE_FIELD_NUMBER: _ClassVar[int]
    TOP_USER_NO_FIELD_NUMBER: _ClassVar[int]
    ENTER_TYPE_FIELD_NUMBER: _ClassVar[int]
    ACTION_FIELD_NUMBER: _ClassVar[int]
    ACTION_DESCRIPTION_FIELD_NUMBER: _ClassVar[int]
    USER_ID_FIELD_NUMBER: _ClassVar[int]
    ANCHOR_DISPLAY_TEXT_FIELD_NUMBER: _ClassVar[int]
    CLIENT_ENTER_SOURCE_FIELD_NUMBER: _ClassVar[int]
    CLIENT_ENTER_TYPE_FIELD_NUMBER: _ClassVar[int]
    common: CommonMessageData
    user: User
    member_count: int
    operator: User
    is_set_to_admin: bool
    is_top_user: bool
    rank_score: int
    top_user_no: int
    enter_type: int
    action: int
    action_description: str
    user_id: int
    anchor_display_text: Text
    client_enter_source: str
    client_enter_type: str
    def __init__(self, common: _Optional[_Union[CommonMessageData, _Mapping]] = ..., user: _Optional[_Union[User, _Mapping]] = ..., member_count: _Optional[int] = ..., operator: _Optional[_Union[User, _Mapping]] = ..., is_set_to_admin: _Optional[bool] = ..., is_top_user: _Optional[bool] = ..., rank_score: _Optional[int] = ..., top_user_no: _Optional[int] = ..., enter_type: _Optional[int] = ..., action: _Optional[int] = ..., action_description: _Optional[str] = ..., user_id: _Optional[int] = ..., anchor_display_text: _Optional[_Union[Text, _Mapping]] = ..., client_enter_source: _Optional[str] = ..., client_enter_type: _Optional[str] = ...) -> None: ...

class WebcastSocialMessage(_message.Message):
    __slots__ = ("common", "user", "share_type", "action", "share_target", "follow_count", "share_count", "show_duration_ms", "follow_type", "target_user_id", "scene")
    COMMON_FIELD_NUMBER: _ClassVar[int]
    USER_FIELD_NUMBER: _ClassVar[int]
    SHARE_TYPE_FIELD_NUMBER: _ClassVar[int]
    ACTION_FIELD_NUMBER: _ClassVar[int]
    SHARE_TARGET_FIELD_NUMBER: _ClassVar[int]
    FOLLOW_COUNT_FIELD_NUMBER: _ClassVar[int]
    SHARE_COUNT_FIELD_NUMBER: _ClassVar[int]
    SHOW_DURATION_MS_FIELD_NUMBER: _ClassVar[int]
    FOLLOW_TYPE_FIELD_NUMBER: _ClassVar[int]
    TARGET_USER_ID_FIELD_NUMBER: _ClassVar[int]
    SCENE_FIELD_NUMBER: _ClassVar[int]
    common: CommonMessageData
    user: User
    share_type: int
    action: int
    share_target: str
    follow_count: int
    share_count: int
    show_duration_ms: int
    follow_type: int
    target_user_id: int
    scene: str
    def __init__(self, common: _Optional[_Union[CommonMessageData, _Mapping]] = ..., user: _Optional[_Union[User, _Mapping]] = ..., share_type: _Optional[int] = ..., action: _Optional[int] = ..., share_target: _Optional[str] = ..., follow_count: _Optional[int] = ..., share_count: _Optional[int] = ..., show_duration_ms: _Optional[int] = ..., follow_type: _Optional[int] = ..., target_user_id: _Optional[int] = ..., scene: _Optional[str] = ...) -> None: ...

class Contributor(_message.Message):
    __slots__ = ("score", "user", "rank", "delta")
    SCORE_FIELD_NUMBER: _ClassVar[int]
    USER_FIELD_NUMBER: _ClassVar[int]
    RANK_FIELD_NUMBER: _ClassVar[int]
    DELTA_FIELD_NUMBER: _ClassVar[int]
    score: int
    user: User
    rank: int
    delta: int
    def __init__(self, score: _Optional[int] = ..., user: _Optional[_Union[User, _Mapping]] = ..., rank: _Optional[int] = ..., delta: _Optional[int] = ...) -> None: ...

class WebcastRoomUserSeqMessage(_message.Message):
    __slots__ = ("common", "ranks", "total", "pop_str", "seats", "popularity", "total_user", "anonymous")
    COMMON_FIELD_NUMBER: _ClassVar[int]
    RANKS_FIELD_NUMBER: _ClassVar[int]
    TOTAL_FIELD_NUMBER: _ClassVar[int]
    POP_STR_FIELD_NUMBER: _ClassVar[int]
    SEATS_FIELD_NUMBER: _ClassVar[int]
    POPULARITY_FIELD_NUMBER: _ClassVar[int]
    TOTAL_USER_FIELD_NUMBER: _ClassVar[int]
    ANONYMOUS_FIELD_NUMBER: _ClassVar[int]
    common: CommonMessageData
    ranks: _containers.RepeatedCompositeFieldContainer[Contributor]
    total: int
    pop_str: str
    seats: _containers.RepeatedCompositeFieldContainer[Contributor]
    popularity: int
    total_user: int
    anonymous: int
    def __init__(self, common: _Optional[_Union[CommonMessageData, _Mapping]] = ..., ranks: _Optional[_Iterable[_Union[Contributor, _Mapping]]] = ..., total: _Optional[int] = ..., pop_str: _Optional[str] = ..., seats: _Optional[_Iterable[_Union[Contributor, _Mapping]]] = ..., popularity: _Optional[int] = ..., total_user: _Optional[int] = ..., anonymous: _Optional[int] = ...) -> None: ...

class WebcastSubNotifyMessage(_message.Message):
    __slots__ = ("common", "user", "exhibition_type", "sub_month", "subscribe_type", "old_subscribe_status", "message_type", "subscribing_status", "is_send", "is_custom", "gift_source", "message_display_style", "package_id")
    COMMON_FIELD_NUMBER: _ClassVar[int]
    USER_FIELD_NUMBER: _ClassVar[int]
    EXHIBITION_TYPE_FIELD_NUMBER: _ClassVar[int]
    SUB_MONTH_FIELD_NUMBER: _ClassVar[int]
    SUBSCRIBE_TYPE_FIELD_NUMBER: _ClassVar[int]
    OLD_SUBSCRIBE_STATUS_FIELD_NUMBER: _ClassVar[int]
    MESSAGE_TYPE_FIELD_NUMBER: _ClassVar[int]
    SUBSCRIBING_STATUS_FIELD_NUMBER: _ClassVar[int]
    IS_SEND_FIELD_NUMBER: _ClassVar[int]
    IS_CUSTOM_FIELD_NUMBER: _ClassVar[int]
    GIFT_SOURCE_FIELD_NUMBER: _ClassVar[int]
    MESSAGE_DISPLAY_STYLE_FIELD_NUMBER: _ClassVar[int]
    PACKAGE_ID_FIELD_NUMBER: _ClassVar[int]
    common: CommonMessageData
    user: User
    exhibition_type: int
    sub_month: int
    subscribe_type: int
    old_subscribe_status: int
    message_type: int
    subscribing_status: int
    is_send: bool
    is_custom: bool
    gift_source: int
    message_display_style: int
    package_id: str
    def __init__(self, common: _Optional[_Union[CommonMessageData, _Mapping]] = ..., user: _Optional[_Union[User, _Mapping]] = ..., exhibition_type: _Optional[int] = ..., sub_month: _Optional[int] = ..., subscribe_type: _Optional[int] = ..., old_subscribe_status: _Optional[int] = ..., message_type: _Optional[int] = ..., subscribing_status: _Optional[int] = ..., is_send: _Optional[bool] = ..., is_custom: _Optional[bool] = ..., gift_source: _Optional[int] = ..., message_display_style: _Optional[int] = ..., package_id: _Optional[str] = ...) -> None: ...

class Question(_message.Message):
    __slots__ = ("question_id", "content", "answer_status", "create_time", "user", "create_from", "answer_from")
    QUESTION_ID_FIELD_NUMBER: _ClassVar[int]
    CONTENT_FIELD_NUMBER: _ClassVar[int]
    ANSWER_STATUS_FIELD_NUMBER: _ClassVar[int]
    CREATE_TIME_FIELD_NUMBER: _ClassVar[int]
    USER_FIELD_NUMBER: _ClassVar[int]
    CREATE_FROM_FIELD_NUMBER: _ClassVar[int]
    ANSWER_FROM_FIELD_NUMBER: _ClassVar[int]
    question_id: int
    content: str
    answer_status: int
    create_time: int
    user: User
    create_from: int
    answer_from: int
    def __init__(self, question_id: _Optional[int] = ..., content: _Optional[str] = ..., answer_status: _Optional[int] = ..., create_time: _Optional[int] = ..., user: _Optional[_Union[User, _Mapping]] = ..., create_from: _Optional[int] = ..., answer_from: _Optional[int] = ...) -> None: ...

class WebcastQuestionNewMessage(_message.Message):
    __slots__ = ("common", "data")
    COMMON_FIELD_NUMBER: _ClassVar[int]
    DATA_FIELD_NUMBER: _ClassVar[int]
    common: CommonMessageData
    data: Question
    def __init__(self, common: _Optional[_Union[CommonMessageData, _Mapping]] = ..., data: _Optional[_Union[Question, _Mapping]] = ...) -> None: ...

class BattleSetting(_message.Message):
    __slots__ = ("battle_id", "start_time_ms", "duration", "channel_id", "status", "invite_type", "battle_type", "end_time_ms")
    BATTLE_ID_FIELD_NUMBER: _ClassVar[int]
    START_TIME_MS_FIELD_NUMBER: _ClassVar[int]
    DURATION_FIELD_NUMBER: _ClassVar[int]
    CHANNEL_ID_FIELD_NUMBER: _ClassVar[int]
    STATUS_FIELD_NUMBER: _ClassVar[int]
    INVITE_TYPE_FIELD_NUMBER: _ClassVar[int]
    BATTLE_TYPE_FIELD_NUMBER: _ClassVar[int]
    END_TIME_MS_FIELD_NUMBER: _ClassVar[int]
    battle_id: int
    start_time_ms: int
    duration: int
    channel_id: int
    status: int
    invite_type: int
    battle_type: int
    end_time_ms: int
    def __init__(self, battle_id: _Optional[int] = ..., start_time_ms: _Optional[int] = ..., duration: _Optional[int] = ..., channel_id: _Optional[int] = ..., status: _Optional[int] = ..., invite_type: _Optional[int] = ..., battle_type: _Optional[int] = ..., end_time_ms: _Optional[int] = ...) -> None: ...

class BattleBaseUserInfo(_message.Message):
    __slots__ = ("user_id", "nick_name", "avatar_thumb", "display_id", "room_id")
    USER_ID_FIELD_NUMBER: _ClassVar[int]
    NICK_NAME_FIELD_NUMBER: _ClassVar[int]
    AVATAR_THUMB_FIELD_NUMBER: _ClassVar[int]
    DISPLAY_ID_FIELD_NUMBER: _ClassVar[int]
    ROOM_ID_FIELD_NUMBER: _ClassVar[int]
    user_id: int
    nick_name: str
    avatar_thumb: ImageModel
    display_id: str
    room_id: int
    def __init__(self, user_id: _Optional[int] = ..., nick_name: _Optional[str] = ..., avatar_thumb: _Optional[_Union[ImageModel, _Mapping]] = ..., display_id: _Optional[str] = ..., room_id: _Optional[int] = ...) -> None: ...

class BattleUserInfo(_message.Message):
    __slots__ = ("user",)
    USER_FIELD_NUMBER: _ClassVar[int]
    user: BattleBaseUserInfo
    def __init__(self, user: _Optional[_Union[BattleBaseUserInfo, _Mapping]] = ...) -> None: ...

class BattleUserInfoWrapper(_message.Message):
    __slots__ = ("key", "value")
    KEY_FIELD_NUMBER: _ClassVar[int]
    VALUE_FIELD_NUMBER: _ClassVar[int]
    key: int
    value: BattleUserInfo
    def __init__(self, key: _Optional[int] = ..., value: _Optional[_Union[BattleUserInfo, _Mapping]] = ...) -> None: ...

class BattleUserArmy(_message.Message):
    __slots__ = ("user_id", "score", "nickname", "avatar_thumb", "diamond_score", "user_id_str")
    USER_ID_FIELD_NUMBER: _ClassVar[int]
    SCORE_FIELD_NUMBER: _ClassVar[int]
    NICKNAME_FIELD_NUMBER: _ClassVar[int]
    AVATAR_THUMB_FIELD_NUMBER: _ClassVar[int]
    DIAMOND_SCORE_FIELD_NUMBER: _ClassVar[int]
    USER_ID_STR_FIELD_NUMBER: _ClassVar[int]
    user_id: int
    score: int
    nickname: str
    avatar_thumb: ImageModel
    diamond_score: int
    user_id_str: str
    def __init__(self, user_id: _Optional[int] = ..., score: _Optional[int] = ..., nickname: _Optional[str] = ..., avatar_thumb: _Optional[_Union[ImageModel, _Mapping]] = ..., diamond_score: _Optional[int] = ..., user_id_str: _Optional[str] = ...) -> None: ...

class BattleUserArmies(_message.Message):
    __slots__ = ("user_armies", "hostscore", "anchor_id_str")
    USER_ARMIES_FIELD_NUMBER: _ClassVar[int]
    HOSTSCORE_FIELD_NUMBER: _ClassVar[int]
    ANCHOR_ID_STR_FIELD_NUMBER: _ClassVar[int]
    user_armies: _containers.RepeatedCompositeFieldContainer[BattleUserArmy]
    hostscore: int
    anchor_id_str: str
    def __init__(self, user_armies: _Optional[_Iterable[_Union[BattleUserArmy, _Mapping]]] = ..., hostscore: _Optional[int] = ..., anchor_id_str: _Optional[str] = ...) -> None: ...

class UserArmiesWrapper(_message.Message):
    __slots__ = ("key", "value")
    KEY_FIELD_NUMBER: _ClassVar[int]
    VALUE_FIELD_NUMBER: _ClassVar[int]
    key: int
    value: BattleUserArmies
    def __init__(self, key: _Optional[int] = ..., value: _Optional[_Union[BattleUserArmies, _Mapping]] = ...) -> None: ...

class BattleResult(_message.Message):
    __slots__ = ("user_id", "result", "score")
    USER_ID_FIELD_NUMBER: _ClassVar[int]
    RESULT_FIELD_NUMBER: _ClassVar[int]
    SCORE_FIELD_NUMBER: _ClassVar[int]
    user_id: int
    result: int
    score: int
    def __init__(self, user_id: _Optional[int] = ..., result: _Optional[int] = ..., score: _Optional[int] = ...) -> None: ...

class WebcastLinkMicBattle(_message.Message):
    __slots__ = ("common", "battle_id", "battle_settings", "action", "battle_result", "armies", "anchors_info")
    class BattleResultEntry(_message.Message):
        __slots__ = ("key", "value")
        KEY_FIELD_NUMBER: _ClassVar[int]
        VALUE_FIELD_NUMBER: _ClassVar[int]
        key: int
        value: BattleResult
        def __init__(self, key: _Optional[int] = ..., value: _Optional[_Union[BattleResult, _Mapping]] = ...) -> None: ...
    COMMON_FIELD_NUMBER: _ClassVar[int]
    BATTLE_ID_FIELD_NUMBER: _ClassVar[int]
    BATTLE_SETTINGS_FIELD_NUMBER: _ClassVar[int]
    ACTION_FIELD_NUMBER: _ClassVar[int]
    BATTLE_RESULT_FIELD_NUMBER: _ClassVar[int]
    ARMIES_FIELD_NUMBER: _ClassVar[int]
    ANCHORS_INFO_FIELD_NUMBER: _ClassVar[int]
    common: CommonMessageData
    battle_id: int
    battle_settings: BattleSetting
    action: int
    battle_result: _containers.MessageMap[int, BattleResult]
    armies: _containers.RepeatedCompositeFieldContainer[UserArmiesWrapper]
    anchors_info: _containers.RepeatedCompositeFieldContainer[BattleUserInfoWrapper]
    def __init__(self, common: _Optional[_Union[CommonMessageData, _Mapping]] = ..., battle_id: _Optional[int] = ..., battle_settings: _Optional[_Union[BattleSetting, _Mapping]] = ..., action: _Optional[int] = ..., battle_result: _Optional[_Mapping[int, BattleResult]] = ..., armies: _Optional[_Iterable[_Union[UserArmiesWrapper, _Mapping]]] = ..., anchors_info: _Optional[_Iterable[_Union[BattleUserInfoWrapper, _Mapping]]] = ...) -> None: ...

class WebcastLinkMicArmies(_message.Message):
    __slots__ = ("common", "battle_id", "armies", "channel_id", "send_gift_success_time", "update_battle_score_time", "trigger_reason", "from_user_id", "gift_id", "gift_count", "total_diamond_count", "repeat_count", "battle_settings")
    class ArmiesEntry(_message.Message):
        __slots__ = ("key", "value")
        KEY_FIELD_NUMBER: _ClassVar[int]
        VALUE_FIELD_NUMBER: _ClassVar[int]
        key: int
        value: BattleUserArmies
        def __init__(self, key: _Optional[int] = ..., value: _Optional[_Union[BattleUserArmies, _Mapping]] = ...) -> None: ...
    COMMON_FIELD_NUMBER: _ClassVar[int]
    BATTLE_ID_FIELD_NUMBER: _ClassVar[int]
    ARMIES_FIELD_NUMBER: _ClassVar[int]
    CHANNEL_ID_FIELD_NUMBER: _ClassVar[int]
    SEND_GIFT_SUCCESS_TIME_FIELD_NUMBER: _ClassVar[int]
    UPDATE_BATTLE_SCORE_TIME_FIELD_NUMBER: _ClassVar[int]
    TRIGGER_REASON_FIELD_NUMBER: _ClassVar[int]
    FROM_USER_ID_FIELD_NUMBER: _ClassVar[int]
    GIFT_ID_FIELD_NUMBER: _ClassVar[int]
    GIFT_COUNT_FIELD_NUMBER: _ClassVar[int]
    TOTAL_DIAMOND_COUNT_FIELD_NUMBER: _ClassVar[int]
    REPEAT_COUNT_FIELD_NUMBER: _ClassVar[int]
    BATTLE_SETTINGS_FIELD_NUMBER: _ClassVar[int]
    common: CommonMessageData
    battle_id: int
    armies: _containers.MessageMap[int, BattleUserArmies]
    channel_id: int
    send_gift_success_time: int
    update_battle_score_time: int
    trigger_reason: int
    from_user_id: int
    gift_id: int
    gift_count: int
    total_diamond_count: int
    repeat_count: int
    battle_settings: BattleSetting
    def __init__(self, common: _Optional[_Union[CommonMessageData, _Mapping]] = ..., battle_id: _Optional[int] = ..., armies: _Optional[_Mapping[int, BattleUserArmies]] = ..., channel_id: _Optional[int] = ..., send_gift_success_time: _Optional[int] = ..., update_battle_score_time: _Optional[int] = ..., trigger_reason: _Optional[int] = ..., from_user_id: _Optional[int] = ..., gift_id: _Optional[int] = ..., gift_count: _Optional[int] = ..., total_diamond_count: _Optional[int] = ..., repeat_count: _Optional[int] = ..., battle_settings: _Optional[_Union[BattleSetting, _Mapping]] = ...) -> None: ...

class WebcastEmoteChatMessage(_message.Message):
    __slots__ = ("common", "user", "emote_list", "user_identity")
    COMMON_FIELD_NUMBER: _ClassVar[int]
    USER_FIELD_NUMBER: _ClassVar[int]
    EMOTE_LIST_FIELD_NUMBER: _ClassVar[int]
    USER_IDENTITY_FIELD_NUMBER: _ClassVar[int]
    common: CommonMessageData
    user: User
    emote_list: _containers.RepeatedCompositeFieldContainer[EmoteModel]
    user_identity: UserIdentity
    def __init__(self, common: _Optional[_Union[CommonMessageData, _Mapping]] = ..., user: _Optional[_Union[User, _Mapping]] = ..., emote_list: _Optional[_Iterable[_Union[EmoteModel, _Mapping]]] = ..., user_identity: _Optional[_Union[UserIdentity, _Mapping]] = ...) -> None: ...

class MessageRedEnvelopInfo(_message.Message):
    __slots__ = ("envelope_id", "business_type", "envelope_idc", "send_user_name", "diamond_count", "people_count", "unpack_at", "send_user_id", "send_user_avatar", "create_at", "room_id", "super_fan_count")
    ENVELOPE_ID_FIELD_NUMBER: _ClassVar[int]
    BUSINESS_TYPE_FIELD_NUMBER: _ClassVar[int]
    ENVELOPE_IDC_FIELD_NUMBER: _ClassVar[int]
    SEND_USER_NAME_FIELD_NUMBER: _ClassVar[int]
    DIAMOND_COUNT_FIELD_NUMBER: _ClassVar[int]
    PEOPLE_COUNT_FIELD_NUMBER: _ClassVar[int]
    UNPACK_AT_FIELD_NUMBER: _ClassVar[int]
    SEND_USER_ID_FIELD_NUMBER: _ClassVar[int]
    SEND_USER_AVATAR_FIELD_NUMBER: _ClassVar[int]
    CREATE_AT_FIELD_NUMBER: _ClassVar[int]
    ROOM_ID_FIELD_NUMBER: _ClassVar[int]
    SUPER_FAN_COUNT_FIELD_NUMBER: _ClassVar[int]
    envelope_id: str
    business_type: int
    envelope_idc: str
    send_user_name: str
    diamond_count: int
    people_count: int
    unpack_at: int
    send_user_id: str
    send_user_avatar: ImageModel
    create_at: int
    room_id: str
    super_fan_count: int
    def __init__(self, envelope_id: _Optional[str] = ..., business_type: _Optional[int] = ..., envelope_idc: _Optional[str] = ..., send_user_name: _Optional[str] = ..., diamond_count: _Optional[int] = ..., people_count: _Optional[int] = ..., unpack_at: _Optional[int] = ..., send_user_id: _Optional[str] = ..., send_user_avatar: _Optional[_Union[ImageModel, _Mapping]] = ..., create_at: _Optional[int] = ..., room_id: _Optional[str] = ..., super_fan_count: _Optional[int] = ...) -> None: ...

class WebcastEnvelopeMessage(_message.Message):
    __slots__ = ("common", "envelope_info", "display")
    COMMON_FIELD_NUMBER: _ClassVar[int]
    ENVELOPE_INFO_FIELD_NUMBER: _ClassVar[int]
    DISPLAY_FIELD_NUMBER: _ClassVar[int]
    common: CommonMessageData
    envelope_info: MessageRedEnvelopInfo
    display: int
    def __init__(self, common: _Optional[_Union[CommonMessageData, _Mapping]] = ..., envelope_info: _Optional[_Union[MessageRedEnvelopInfo, _Mapping]] = ..., display: _Optional[int] = ...) -> None: ...

class WebcastControlMessage(_message.Message):
    __slots__ = ("common", "action", "tips")
    COMMON_FIELD_NUMBER: _ClassVar[int]
    ACTION_FIELD_NUMBER: _ClassVar[int]
    TIPS_FIELD_NUMBER: _ClassVar[int]
    common: CommonMessageData
    action: int
    tips: str
    def __init__(self, common: _Optional[_Union[CommonMessageData, _Mapping]] = ..., action: _Optional[int] = ..., tips: _Optional[str] = ...) -> None: ...

class WebcastLiveIntroMessage(_message.Message):
    __slots__ = ("common", "id", "audit_status", "content", "user", "intro_mode", "badges", "content_language")
    COMMON_FIELD_NUMBER: _ClassVar[int]
    ID_FIELD_NUMBER: _ClassVar[int]
    AUDIT_STATUS_FIELD_NUMBER: _ClassVar[int]
    CONTENT_FIELD_NUMBER: _ClassVar[int]
    USER_FIELD_NUMBER: _ClassVar[int]
    INTRO_MODE_FIELD_NUMBER: _ClassVar[int]
    BADGES_FIELD_NUMBER: _ClassVar[int]
    CONTENT_LANGUAGE_FIELD_NUMBER: _ClassVar[int]
    common: CommonMessageData
    id: int
    audit_status: int
    content: str
    user: User
    intro_mode: int
    badges: _containers.RepeatedCompositeFieldContainer[BadgeStruct]
    content_language: str
    def __init__(self, common: _Optional[_Union[CommonMessageData, _Mapping]] = ..., id: _Optional[int] = ..., audit_status: _Optional[int] = ..., content: _Optional[str] = ..., user: _Optional[_Union[User, _Mapping]] = ..., intro_mode: _Optional[int] = ..., badges: _Optional[_Iterable[_Union[BadgeStruct, _Mapping]]] = ..., content_language: _Optional[str] = ...) -> None: ...

class WebcastRoomMessage(_message.Message):
    __slots__ = ("common", "content", "supprot_landscape", "source", "scene", "is_welcome", "show_duration_ms")
    COMMON_FIELD_NUMBER: _ClassVar[int]
    CONTENT_FIELD_NUMBER: _ClassVar[int]
    SUPPROT_LANDSCAPE_FIELD_NUMBER: _ClassVar[int]
    SOURCE_FIELD_NUMBER: _ClassVar[int]
    SCENE_FIELD_NUMBER: _ClassVar[int]
    IS_WELCOME_FIELD_NUMBER: _ClassVar[int]
    SHOW_DURATION_MS_FIELD_NUMBER: _ClassVar[int]
    common: CommonMessageData
    content: str
    supprot_landscape: bool
    source: int
    scene: str
    is_welcome: bool
    show_duration_ms: int
    def __init__(self, common: _Optional[_Union[CommonMessageData, _Mapping]] = ..., content: _Optional[str] = ..., supprot_landscape: _Optional[bool] = ..., source: _Optional[int] = ..., scene: _Optional[str] = ..., is_welcome: _Optional[bool] = ..., show_duration_ms: _Optional[int] = ...) -> None: ...

class WebcastBarrageMessage(_message.Message):
    __slots__ = ("common", "content", "common_barrage_content", "user")
    COMMON_FIELD_NUMBER: _ClassVar[int]
    CONTENT_FIELD_NUMBER: _ClassVar[int]
    COMMON_BARRAGE_CONTENT_FIELD_NUMBER: _ClassVar[int]
    USER_FIELD_NUMBER: _ClassVar[int]
    common: CommonMessageData
    content: Text
    common_barrage_content: Text
    user: User
    def __init__(self, common: _Optional[_Union[CommonMessageData, _Mapping]] = ..., content: _Optional[_Union[Text, _Mapping]] = ..., common_barrage_content: _Optional[_Union[Text, _Mapping]] = ..., user: _Optional[_Union[User, _Mapping]] = ...) -> None: ...

class WebcastLinkMicBattlePunishFinish(_message.Message):
    __slots__ = ("common", "channel_id", "op_uid", "reason", "battle_id")
    COMMON_FIELD_NUMBER: _ClassVar[int]
    CHANNEL_ID_FIELD_NUMBER: _ClassVar[int]
    OP_UID_FIELD_NUMBER: _ClassVar[int]
    REASON_FIELD_NUMBER: _ClassVar[int]
    BATTLE_ID_FIELD_NUMBER: _ClassVar[int]
    common: CommonMessageData
    channel_id: int
    op_uid: int
    reason: int
    battle_id: int
    def __init__(self, common: _Optional[_Union[CommonMessageData, _Mapping]] = ..., channel_id: _Optional[int] = ..., op_uid: _Optional[int] = ..., reason: _Optional[int] = ..., battle_id: _Optional[int] = ...) -> None: ...

class BattleTaskUpdate(_message.Message):
    __slots__ = ("progress", "from_user_id", "prompt_key")
    PROGRESS_FIELD_NUMBER: _ClassVar[int]
    FROM_USER_ID_FIELD_NUMBER: _ClassVar[int]
    PROMPT_KEY_FIELD_NUMBER: _ClassVar[int]
    progress: int
    from_user_id: int
    prompt_key: str
    def __init__(self, progress: _Optional[int] = ..., from_user_id: _Optional[int] = ..., prompt_key: _Optional[str] = ...) -> None: ...

class BattleTaskSettle(_message.Message):
    __slots__ = ("result",)
    RESULT_FIELD_NUMBER: _ClassVar[int]
    result: int
    def __init__(self, result: _Optional[int] = ...) -> None: ...

class WebcastLinkmicBattleTaskMessage(_message.Message):
    __slots__ = ("common", "task_message_type", "task_update", "task_settle", "battle_id")
    COMMON_FIELD_NUMBER: _ClassVar[int]
    TASK_MESSAGE_TYPE_FIELD_NUMBER: _ClassVar[int]
    TASK_UPDATE_FIELD_NUMBER: _ClassVar[int]
    TASK_SETTLE_FIELD_NUMBER: _ClassVar[int]
    BATTLE_ID_FIELD_NUMBER: _ClassVar[int]
    common: CommonMessageData
    task_message_type: int
    task_update: BattleTaskUpdate
    task_settle: BattleTaskSettle
    battle_id: int
    def __init__(self, common: _Optional[_Union[CommonMessageData, _Mapping]] = ..., task_message_type: _Optional[int] = ..., task_update: _Optional[_Union[BattleTaskUpdate, _Mapping]] = ..., task_settle: _Optional[_Union[BattleTaskSettle, _Mapping]] = ..., battle_id: _Optional[int] = ...) -> None: ...

class BattleNoticeGuide(_message.Message):
    __slots__ = ("content", "button", "url")
    CONTENT_FIELD_NUMBER: _ClassVar[int]
    BUTTON_FIELD_NUMBER: _ClassVar[int]
    URL_FIELD_NUMBER: _ClassVar[int]
    content: Text
    button: Text
    url: str
    def __init__(self, content: _Optional[_Union[Text, _Mapping]] = ..., button: _Optional[_Union[Text, _Mapping]] = ..., url: _Optional[str] = ...) -> None: ...

class WebcastLinkmicBattleNoticeMessage(_message.Message):
    __slots__ = ("common", "notice_type", "rule_guide")
    COMMON_FIELD_NUMBER: _ClassVar[int]
    NOTICE_TYPE_FIELD_NUMBER: _ClassVar[int]
    RULE_GUIDE_FIELD_NUMBER: _ClassVar[int]
    common: CommonMessageData
    notice_type: int
    rule_guide: BattleNoticeGuide
    def __init__(self, common: _Optional[_Union[CommonMessageData, _Mapping]] = ..., notice_type: _Optional[int] = ..., rule_guide: _Optional[_Union[BattleNoticeGuide, _Mapping]] = ...) -> None: ...

class WebcastLinkMicBattleItemCard(_message.Message):
    __slots__ = ("common", "battle_id", "msg_type")
    COMMON_FIELD_NUMBER: _ClassVar[int]
    BATTLE_ID_FIELD_NUMBER: _ClassVar[int]
    MSG_TYPE_FIELD_NUMBER: _ClassVar[int]
    common: CommonMessageData
    battle_id: int
    msg_type: int
    def __init__(self, common: _Optional[_Union[CommonMessageData, _Mapping]] = ..., battle_id: _Optional[int] = ..., msg_type: _Optional[int] = ...) -> None: ...

class RankUpdate(_message.Message):
    __slots__ = ("rank_type", "own_rank", "default_content", "prompt", "countdown", "owneronrank", "current_score")
    RANK_TYPE_FIELD_NUMBER: _ClassVar[int]
    OWN_RANK_FIELD_NUMBER: _ClassVar[int]
    DEFAULT_CONTENT_FIELD_NUMBER: _ClassVar[int]
    PROMPT_FIELD_NUMBER: _ClassVar[int]
    COUNTDOWN_FIELD_NUMBER: _ClassVar[int]
    OWNERONRANK_FIELD_NUMBER: _ClassVar[int]
    CURRENT_SCORE_FIELD_NUMBER: _ClassVar[int]
    rank_type: int
    own_rank: int
    default_content: Text
    prompt: bytes
    countdown: int
    owneronrank: bool
    current_score: int
    def __init__(self, rank_type: _Optional[int] = ..., own_rank: _Optional[int] = ..., default_content: _Optional[_Union[Text, _Mapping]] = ..., prompt: _Optional[bytes] = ..., countdown: _Optional[int] = ..., owneronrank: _Optional[bool] = ..., current_score: _Optional[int] = ...) -> None: ...

class WebcastRankUpdateMessage(_message.Message):
    __slots__ = ("common", "updates", "group_type")
    COMMON_FIELD_NUMBER: _ClassVar[int]
    UPDATES_FIELD_NUMBER: _ClassVar[int]
    GROUP_TYPE_FIELD_NUMBER: _ClassVar[int]
    common: CommonMessageData
    updates: _containers.RepeatedCompositeFieldContainer[RankUpdate]
    group_type: int
    def __init__(self, common: _Optional[_Union[CommonMessageData, _Mapping]] = ..., updates: _Optional[_Iterable[_Union[RankUpdate, _Mapping]]] = ..., group_type: _Optional[int] = ...) -> None: ...

class HourlyRankData(_message.Message):
    __slots__ = ("rank_type", "content", "own_rank")
    RANK_TYPE_FIELD_NUMBER: _ClassVar[int]
    CONTENT_FIELD_NUMBER: _ClassVar[int]
    OWN_RANK_FIELD_NUMBER: _ClassVar[int]
    rank_type: int
    content: Text
    own_rank: int
    def __init__(self, rank_type: _Optional[int] = ..., content: _Optional[_Union[Text, _Mapping]] = ..., own_rank: _Optional[int] = ...) -> None: ...

class WebcastHourlyRankMessage(_message.Message):
    __slots__ = ("common", "data")
    COMMON_FIELD_NUMBER: _ClassVar[int]
    DATA_FIELD_NUMBER: _ClassVar[int]
    common: CommonMessageData
    data: HourlyRankData
    def __init__(self, common: _Optional[_Union[CommonMessageData, _Mapping]] = ..., data: _Optional[_Union[HourlyRankData, _Mapping]] = ...) -> None: ...

class WebcastRankTextMessage(_message.Message):
    __slots__ = ("common", "scene", "self_get_badge_msg", "other_get_badge_msg", "content", "rank_type")
    COMMON_FIELD_NUMBER: _ClassVar[int]
    SCENE_FIELD_NUMBER: _ClassVar[int]
    SELF_GET_BADGE_MSG_FIELD_NUMBER: _ClassVar[int]
    OTHER_GET_BADGE_MSG_FIELD_NUMBER: _ClassVar[int]
    CONTENT_FIELD_NUMBER: _ClassVar[int]
    RANK_TYPE_FIELD_NUMBER: _ClassVar[int]
    common: CommonMessageData
    scene: int
    self_get_badge_msg: Text
    other_get_badge_msg: Text
    content: Text
    rank_type: int
    def __init__(self, common: _Optional[_Union[CommonMessageData, _Mapping]] = ..., scene: _Optional[int] = ..., self_get_badge_msg: _Optional[_Union[Text, _Mapping]] = ..., other_get_badge_msg: _Optional[_Union[Text, _Mapping]] = ..., content: _Optional[_Union[Text, _Mapping]] = ..., rank_type: _Optional[int] = ...) -> None: ...

class WebcastRoomNotifyMessage(_message.Message):
    __slots__ = ("common", "schema", "notify_type", "content", "user", "source", "from_user_id", "to_anchor_id")
    COMMON_FIELD_NUMBER: _ClassVar[int]
    SCHEMA_FIELD_NUMBER: _ClassVar[int]
    NOTIFY_TYPE_FIELD_NUMBER: _ClassVar[int]
    CONTENT_FIELD_NUMBER: _ClassVar[int]
    USER_FIELD_NUMBER: _ClassVar[int]
    SOURCE_FIELD_NUMBER: _ClassVar[int]
    FROM_USER_ID_FIELD_NUMBER: _ClassVar[int]
    TO_ANCHOR_ID_FIELD_NUMBER: _ClassVar[int]
    common: CommonMessageData
    schema: str
    notify_type: int
    content: str
    user: User
    source: str
    from_user_id: int
    to_anchor_id: int
    def __init__(self, common: _Optional[_Union[CommonMessageData, _Mapping]] = ..., schema: _Optional[str] = ..., notify_type: _Optional[int] = ..., content: _Optional[str] = ..., user: _Optional[_Union[User, _Mapping]] = ..., source: _Optional[str] = ..., from_user_id: _Optional[int] = ..., to_anchor_id: _Optional[int] = ...) -> None: ...

class HourlyRankRewardInfo(_message.Message):
    __slots__ = ("user_id", "asset_id", "notify")
    USER_ID_FIELD_NUMBER: _ClassVar[int]
    ASSET_ID_FIELD_NUMBER: _ClassVar[int]
    NOTIFY_FIELD_NUMBER: _ClassVar[int]
    user_id: int
    asset_id: int
    notify: WebcastRoomNotifyMessage
    def __init__(self, user_id: _Optional[int] = ..., asset_id: _Optional[int] = ..., notify: _Optional[_Union[WebcastRoomNotifyMessage, _Mapping]] = ...) -> None: ...

class WebcastHourlyRankRewardMessage(_message.Message):
    __slots__ = ("common", "winners")
    COMMON_FIELD_NUMBER: _ClassVar[int]
    WINNERS_FIELD_NUMBER: _ClassVar[int]
    common: CommonMessageData
    winners: _containers.RepeatedCompositeFieldContainer[HourlyRankRewardInfo]
    def __init__(self, common: _Optional[_Union[CommonMessageData, _Mapping]] = ..., winners: _Optional[_Iterable[_Union[HourlyRankRewardInfo, _Mapping]]] = ...) -> None: ...

class WebcastGameRankNotifyMessage(_message.Message):
    __slots__ = ("common", "msg_type", "notify_text")
    COMMON_FIELD_NUMBER: _ClassVar[int]
    MSG_TYPE_FIELD_NUMBER: _ClassVar[int]
    NOTIFY_TEXT_FIELD_NUMBER: _ClassVar[int]
    common: CommonMessageData
    msg_type: int
    notify_text: Text
    def __init__(self, common: _Optional[_Union[CommonMessageData, _Mapping]] = ..., msg_type: _Optional[int] = ..., notify_text: _Optional[_Union[Text, _Mapping]] = ...) -> None: ...

class LiveStreamSubGoalGift(_message.Message):
    __slots__ = ("name", "icon", "diamond_count", "type")
    NAME_FIELD_NUMBER: _ClassVar[int]
    ICON_FIELD_NUMBER: _ClassVar[int]
    DIAMOND_COUNT_FIELD_NUMBER: _ClassVar[int]
    TYPE_FIELD_NUMBER: _ClassVar[int]
    name: str
    icon: ImageModel
    diamond_count: int
    type: int
    def __init__(self, name: _Optional[str] = ..., icon: _Optional[_Union[ImageModel, _Mapping]] = ..., diamond_count: _Optional[int] = ..., type: _Optional[int] = ...) -> None: ...

class LiveStreamSubGoal(_message.Message):
    __slots__ = ("type", "id", "progress", "target", "gift", "id_str")
    TYPE_FIELD_NUMBER: _ClassVar[int]
    ID_FIELD_NUMBER: _ClassVar[int]
    PROGRESS_FIELD_NUMBER: _ClassVar[int]
    TARGET_FIELD_NUMBER: _ClassVar[int]
    GIFT_FIELD_NUMBER: _ClassVar[int]
    ID_STR_FIELD_NUMBER: _ClassVar[int]
    type: int
    id: int
    progress: int
    target: int
    gift: LiveStreamSubGoalGift
    id_str: str
    def __init__(self, type: _Optional[int] = ..., id: _Optional[int] = ..., progress: _Optional[int] = ..., target: _Optional[int] = ..., gift: _Optional[_Union[LiveStreamSubGoalGift, _Mapping]] = ..., id_str: _Optional[str] = ...) -> None: ...

class LiveStreamGoal(_message.Message):
    __slots__ = ("id", "type", "status", "sub_goals", "description", "start_time", "expire_time", "id_str")
    ID_FIELD_NUMBER: _ClassVar[int]
    TYPE_FIELD_NUMBER: _ClassVar[int]
    STATUS_FIELD_NUMBER: _ClassVar[int]
    SUB_GOALS_FIELD_NUMBER: _ClassVar[int]
    DESCRIPTION_FIELD_NUMBER: _ClassVar[int]
    START_TIME_FIELD_NUMBER: _ClassVar[int]
    EXPIRE_TIME_FIELD_NUMBER: _ClassVar[int]
    ID_STR_FIELD_NUMBER: _ClassVar[int]
    id: int
    type: int
    status: int
    sub_goals: _containers.RepeatedCompositeFieldContainer[LiveStreamSubGoal]
    description: str
    start_time: int
    expire_time: int
    id_str: str
    def __init__(self, id: _Optional[int] = ..., type: _Optional[int] = ..., status: _Optional[int] = ..., sub_goals: _Optional[_Iterable[_Union[LiveStreamSubGoal, _Mapping]]] = ..., description: _Optional[str] = ..., start_time: _Optional[int] = ..., expire_time: _Optional[int] = ..., id_str: _Optional[str] = ...) -> None: ...

class LiveStreamGoalIndicator(_message.Message):
    __slots__ = ("key",)
    KEY_FIELD_NUMBER: _ClassVar[int]
    key: str
    def __init__(self, key: _Optional[str] = ...) -> None: ...

class WebcastGoalUpdateMessage(_message.Message):
    __slots__ = ("common", "indicator", "goal", "contributor_id", "contributor_avatar", "contributor_display_id", "contribute_subgoal", "contribute_count", "contribute_score", "gift_repeat_count", "contributor_id_str", "update_source")
    COMMON_FIELD_NUMBER: _ClassVar[int]
    INDICATOR_FIELD_NUMBER: _ClassVar[int]
    GOAL_FIELD_NUMBER: _ClassVar[int]
    CONTRIBUTOR_ID_FIELD_NUMBER: _ClassVar[int]
    CONTRIBUTOR_AVATAR_FIELD_NUMBER: _ClassVar[int]
    CONTRIBUTOR_DISPLAY_ID_FIELD_NUMBER: _ClassVar[int]
    CONTRIBUTE_SUBGOAL_FIELD_NUMBER: _ClassVar[int]
    CONTRIBUTE_COUNT_FIELD_NUMBER: _ClassVar[int]
    CONTRIBUTE_SCORE_FIELD_NUMBER: _ClassVar[int]
    GIFT_REPEAT_COUNT_FIELD_NUMBER: _ClassVar[int]
    CONTRIBUTOR_ID_STR_FIELD_NUMBER: _ClassVar[int]
    UPDATE_SOURCE_FIELD_NUMBER: _ClassVar[int]
    common: CommonMessageData
    indicator: LiveStreamGoalIndicator
    goal: LiveStreamGoal
    contributor_id: int
    contributor_avatar: ImageModel
    contributor_display_id: str
    contribute_subgoal: LiveStreamSubGoal
    contribute_count: int
    contribute_score: int
    gift_repeat_count: int
    contributor_id_str: str
    update_source: int
    def __init__(self, common: _Optional[_Union[CommonMessageData, _Mapping]] = ..., indicator: _Optional[_Union[LiveStreamGoalIndicator, _Mapping]] = ..., goal: _Optional[_Union[LiveStreamGoal, _Mapping]] = ..., contributor_id: _Optional[int] = ..., contributor_avatar: _Optional[_Union[ImageModel, _Mapping]] = ..., contributor_display_id: _Optional[str] = ..., contribute_subgoal: _Optional[_Union[LiveStreamSubGoal, _Mapping]] = ..., contribute_count: _Optional[int] = ..., contribute_score: _Optional[int] = ..., gift_repeat_count: _Optional[int] = ..., contributor_id_str: _Optional[str] = ..., update_source: _Optional[int] = ...) -> None: ...

class WebcastImDeleteMessage(_message.Message):
    __slots__ = ("common", "delete_msg_ids", "delete_user_ids")
    COMMON_FIELD_NUMBER: _ClassVar[int]
    DELETE_MSG_IDS_FIELD_NUMBER: _ClassVar[int]
    DELETE_USER_IDS_FIELD_NUMBER: _ClassVar[int]
    common: CommonMessageData
    delete_msg_ids: _containers.RepeatedScalarFieldContainer[int]
    delete_user_ids: _containers.RepeatedScalarFieldContainer[int]
    def __init__(self, common: _Optional[_Union[CommonMessageData, _Mapping]] = ..., delete_msg_ids: _Optional[_Iterable[int]] = ..., delete_user_ids: _Optional[_Iterable[int]] = ...) -> None: ...

class WebcastRoomPinMessage(_message.Message):
    __slots__ = ("common", "chat_message", "social_message", "gift_message", "member_message", "like_message", "method", "operator", "action")
    COMMON_FIELD_NUMBER: _ClassVar[int]
    CHAT_MESSAGE_FIELD_NUMBER: _ClassVar[int]
    SOCIAL_MESSAGE_FIELD_NUMBER: _ClassVar[int]
    GIFT_MESSAGE_FIELD_NUMBER: _ClassVar[int]
    MEMBER_MESSAGE_FIELD_NUMBER: _ClassVar[int]
    LIKE_MESSAGE_FIELD_NUMBER: _ClassVar[int]
    METHOD_FIELD_NUMBER: _ClassVar[int]
    OPERATOR_FIELD_NUMBER: _ClassVar[int]
    ACTION_FIELD_NUMBER: _ClassVar[int]
    common: CommonMessageData
    chat_message: WebcastChatMessage
    social_message: WebcastSocialMessage
    gift_message: WebcastGiftMessage
    member_message: WebcastMemberMessage
    like_message: WebcastLikeMessage
    method: str
    operator: User
    action: int
    def __init__(self, common: _Optional[_Union[CommonMessageData, _Mapping]] = ..., chat_message: _Optional[_Union[WebcastChatMessage, _Mapping]] = ..., social_message: _Optional[_Union[WebcastSocialMessage, _Mapping]] = ..., gift_message: _Optional[_Union[WebcastGiftMessage, _Mapping]] = ..., member_message: _Optional[_Union[WebcastMemberMessage, _Mapping]] = ..., like_message: _Optional[_Union[WebcastLikeMessage, _Mapping]] = ..., method: _Optional[str] = ..., operator: _Optional[_Union[User, _Mapping]] = ..., action: _Optional[int] = ...) -> None: ...

class VoteUser(_message.Message):
    __slots__ = ("user_id", "nick_name", "vote_count")
    USER_ID_FIELD_NUMBER: _ClassVar[int]
    NICK_NAME_FIELD_NUMBER: _ClassVar[int]
    VOTE_COUNT_FIELD_NUMBER: _ClassVar[int]
    user_id: int
    nick_name: str
    vote_count: int
    def __init__(self, user_id: _Optional[int] = ..., nick_name: _Optional[str] = ..., vote_count: _Optional[int] = ...) -> None: ...

class PollOptionInfo(_message.Message):
    __slots__ = ("votes", "display_content", "option_idx", "vote_user_list")
    VOTES_FIELD_NUMBER: _ClassVar[int]
    DISPLAY_CONTENT_FIELD_NUMBER: _ClassVar[int]
    OPTION_IDX_FIELD_NUMBER: _ClassVar[int]
    VOTE_USER_LIST_FIELD_NUMBER: _ClassVar[int]
    votes: int
    display_content: str
    option_idx: int
    vote_user_list: _containers.RepeatedCompositeFieldContainer[VoteUser]
    def __init__(self, votes: _Optional[int] = ..., display_content: _Optional[str] = ..., option_idx: _Optional[int] = ..., vote_user_list: _Optional[_Iterable[_Union[VoteUser, _Mapping]]] = ...) -> None: ...

class PollStartContent(_message.Message):
    __slots__ = ("start_time", "end_time", "option_list", "title", "operator")
    START_TIME_FIELD_NUMBER: _ClassVar[int]
    END_TIME_FIELD_NUMBER: _ClassVar[int]
    OPTION_LIST_FIELD_NUMBER: _ClassVar[int]
    TITLE_FIELD_NUMBER: _ClassVar[int]
    OPERATOR_FIELD_NUMBER: _ClassVar[int]
    start_time: int
    end_time: int
    option_list: _containers.RepeatedCompositeFieldContainer[PollOptionInfo]
    title: str
    operator: User
    def __init__(self, start_time: _Optional[int] = ..., end_time: _Optional[int] = ..., option_list: _Optional[_Iterable[_Union[PollOptionInfo, _Mapping]]] = ..., title: _Optional[str] = ..., operator: _Optional[_Union[User, _Mapping]] = ...) -> None: ...

class PollEndContent(_message.Message):
    __slots__ = ("end_type", "option_list", "operator")
    END_TYPE_FIELD_NUMBER: _ClassVar[int]
    OPTION_LIST_FIELD_NUMBER: _ClassVar[int]
    OPERATOR_FIELD_NUMBER: _ClassVar[int]
    end_type: int
    option_list: _containers.RepeatedCompositeFieldContainer[PollOptionInfo]
    operator: User
    def __init__(self, end_type: _Optional[int] = ..., option_list: _Optional[_Iterable[_Union[PollOptionInfo, _Mapping]]] = ..., operator: _Optional[_Union[User, _Mapping]] = ...) -> None: ...

class PollUpdateVotesContent(_message.Message):
    __slots__ = ("option_list", "operator")
    OPTION_LIST_FIELD_NUMBER: _ClassVar[int]
    OPERATOR_FIELD_NUMBER: _ClassVar[int]
    option_list: _containers.RepeatedCompositeFieldContainer[PollOptionInfo]
    operator: User
    def __init__(self, option_list: _Optional[_Iterable[_Union[PollOptionInfo, _Mapping]]] = ..., operator: _Optional[_Union[User, _Mapping]] = ...) -> None: ...

class PollBasicInfo(_message.Message):
    __slots__ = ("poll_sponsor", "gift_id", "title", "poll_id_str", "poll_duration", "time_remain")
    POLL_SPONSOR_FIELD_NUMBER: _ClassVar[int]
    GIFT_ID_FIELD_NUMBER: _ClassVar[int]
    TITLE_FIELD_NUMBER: _ClassVar[int]
    POLL_ID_STR_FIELD_NUMBER: _ClassVar[int]
    POLL_DURATION_FIELD_NUMBER: _ClassVar[int]
    TIME_REMAIN_FIELD_NUMBER: _ClassVar[int]
    poll_sponsor: str
    gift_id: int
    title: str
    poll_id_str: str
    poll_duration: int
    time_remain: int
    def __init__(self, poll_sponsor: _Optional[str] = ..., gift_id: _Optional[int] = ..., title: _Optional[str] = ..., poll_id_str: _Optional[str] = ..., poll_duration: _Optional[int] = ..., time_remain: _Optional[int] = ...) -> None: ...

class WebcastPollMessage(_message.Message):
    __slots__ = ("common", "start_content", "end_content", "update_votes_content", "poll_kind", "poll_basic_info")
    COMMON_FIELD_NUMBER: _ClassVar[int]
    START_CONTENT_FIELD_NUMBER: _ClassVar[int]
    END_CONTENT_FIELD_NUMBER: _ClassVar[int]
    UPDATE_VOTES_CONTENT_FIELD_NUMBER: _ClassVar[int]
    POLL_KIND_FIELD_NUMBER: _ClassVar[int]
    POLL_BASIC_INFO_FIELD_NUMBER: _ClassVar[int]
    common: CommonMessageData
    start_content: PollStartContent
    end_content: PollEndContent
    update_votes_content: PollUpdateVotesContent
    poll_kind: int
    poll_basic_info: PollBasicInfo
    def __init__(self, common: _Optional[_Union[CommonMessageData, _Mapping]] = ..., start_content: _Optional[_Union[PollStartContent, _Mapping]] = ..., end_content: _Optional[_Union[PollEndContent, _Mapping]] = ..., update_votes_content: _Optional[_Union[PollUpdateVotesContent, _Mapping]] = ..., poll_kind: _Optional[int] = ..., poll_basic_info: _Optional[_Union[PollBasicInfo, _Mapping]] = ...) -> None: ...

class WebcastGiftBroadcastMessage(_message.Message):
    __slots__ = ("common", "left_icon", "notify")
    COMMON_FIELD_NUMBER: _ClassVar[int]
    LEFT_ICON_FIELD_NUMBER: _ClassVar[int]
    NOTIFY_FIELD_NUMBER: _ClassVar[int]
    common: CommonMessageData
    left_icon: ImageModel
    notify: WebcastRoomNotifyMessage
    def __init__(self, common: _Optional[_Union[CommonMessageData, _Mapping]] = ..., left_icon: _Optional[_Union[ImageModel, _Mapping]] = ..., notify: _Optional[_Union[WebcastRoomNotifyMessage, _Mapping]] = ...) -> None: ...

class Hashtag(_message.Message):
    __slots__ = ("id", "title", "image", "namespace")
    ID_FIELD_NUMBER: _ClassVar[int]
    TITLE_FIELD_NUMBER: _ClassVar[int]
    IMAGE_FIELD_NUMBER: _ClassVar[int]
    NAMESPACE_FIELD_NUMBER: _ClassVar[int]
    id: int
    title: str
    image: ImageModel
    namespace: int
    def __init__(self, id: _Optional[int] = ..., title: _Optional[str] = ..., image: _Optional[_Union[ImageModel, _Mapping]] = ..., namespace: _Optional[int] = ...) -> None: ...

class WebcastHashtagMessage(_message.Message):
    __slots__ = ("common", "hashtag")
    COMMON_FIELD_NUMBER: _ClassVar[int]
    HASHTAG_FIELD_NUMBER: _ClassVar[int]
    common: CommonMessageData
    hashtag: Hashtag
    def __init__(self, common: _Optional[_Union[CommonMessageData, _Mapping]] = ..., hashtag: _Optional[_Union[Hashtag, _Mapping]] = ...) -> None: ...

class ListUser(_message.Message):
    __slots__ = ("user", "linkmic_id", "linkmic_id_str", "linker_id")
    USER_FIELD_NUMBER: _ClassVar[int]
    LINKMIC_ID_FIELD_NUMBER: _ClassVar[int]
    LINKMIC_ID_STR_FIELD_NUMBER: _ClassVar[int]
    LINKER_ID_FIELD_NUMBER: _ClassVar[int]
    user: User
    linkmic_id: int
    linkmic_id_str: str
    linker_id: int
    def __init__(self, user: _Optional[_Union[User, _Mapping]] = ..., linkmic_id: _Optional[int] = ..., linkmic_id_str: _Optional[str] = ..., linker_id: _Optional[int] = ...) -> None: ...

class LinkerEnterContent(_message.Message):
    __slots__ = ("linked_users",)
    LINKED_USERS_FIELD_NUMBER: _ClassVar[int]
    linked_users: _containers.RepeatedCompositeFieldContainer[ListUser]
    def __init__(self, linked_users: _Optional[_Iterable[_Union[ListUser, _Mapping]]] = ...) -> None: ...

class LinkerLeaveContent(_message.Message):
    __slots__ = ("user_id", "linkmic_id_str", "send_leave_uid", "leave_reason")
    USER_ID_FIELD_NUMBER: _ClassVar[int]
    LINKMIC_ID_STR_FIELD_NUMBER: _ClassVar[int]
    SEND_LEAVE_UID_FIELD_NUMBER: _ClassVar[int]
    LEAVE_REASON_FIELD_NUMBER: _ClassVar[int]
    user_id: int
    linkmic_id_str: str
    send_leave_uid: int
    leave_reason: int
    def __init__(self, user_id: _Optional[int] = ..., linkmic_id_str: _Optional[str] = ..., send_leave_uid: _Optional[int] = ..., leave_reason: _Optional[int] = ...) -> None: ...

class WebcastLinkMessage(_message.Message):
    __slots__ = ("common", "message_type", "linker_id", "scene", "enter_content", "leave_content")
    COMMON_FIELD_NUMBER: _ClassVar[int]
    MESSAGE_TYPE_FIELD_NUMBER: _ClassVar[int]
    LINKER_ID_FIELD_NUMBER: _ClassVar[int]
    SCENE_FIELD_NUMBER: _ClassVar[int]
    ENTER_CONTENT_FIELD_NUMBER: _ClassVar[int]
    LEAVE_CONTENT_FIELD_NUMBER: _ClassVar[int]
    common: CommonMessageData
    message_type: int
    linker_id: int
    scene: int
    enter_content: LinkerEnterContent
    leave_content: LinkerLeaveContent
    def __init__(self, common: _Optional[_Union[CommonMessageData, _Mapping]] = ..., message_type: _Optional[int] = ..., linker_id: _Optional[int] = ..., scene: _Optional[int] = ..., enter_content: _Optional[_Union[LinkerEnterContent, _Mapping]] = ..., leave_content: _Optional[_Union[LinkerLeaveContent, _Mapping]] = ...) -> None: ...

class WebcastLinkLayerMessage(_message.Message):
    __slots__ = ("common", "message_type", "channel_id", "scene", "source")
    COMMON_FIELD_NUMBER: _ClassVar[int]
    MESSAGE_TYPE_FIELD_NUMBER: _ClassVar[int]
    CHANNEL_ID_FIELD_NUMBER: _ClassVar[int]
    SCENE_FIELD_NUMBER: _ClassVar[int]
    SOURCE_FIELD_NUMBER: _ClassVar[int]
    common: CommonMessageData
    message_type: int
    channel_id: int
    scene: int
    source: str
    def __init__(self, common: _Optional[_Union[CommonMessageData, _Mapping]] = ..., message_type: _Optional[int] = ..., channel_id: _Optional[int] = ..., scene: _Optional[int] = ..., source: _Optional[str] = ...) -> None: ...

class WebcastLinkMicMethod(_message.Message):
    __slots__ = ("common", "message_type", "user_id", "fan_ticket", "total_linkmic_fan_ticket", "channel_id", "layout", "vendor", "rival_anchor_id", "scene")
    COMMON_FIELD_NUMBER: _ClassVar[int]
    MESSAGE_TYPE_FIELD_NUMBER: _ClassVar[int]
    USER_ID_FIELD_NUMBER: _ClassVar[int]
    FAN_TICKET_FIELD_NUMBER: _ClassVar[int]
    TOTAL_LINKMIC_FAN_TICKET_FIELD_NUMBER: _ClassVar[int]
    CHANNEL_ID_FIELD_NUMBER: _ClassVar[int]
    LAYOUT_FIELD_NUMBER: _ClassVar[int]
    VENDOR_FIELD_NUMBER: _ClassVar[int]
    RIVAL_ANCHOR_ID_FIELD_NUMBER: _ClassVar[int]
    SCENE_FIELD_NUMBER: _ClassVar[int]
    common: CommonMessageData
    message_type: int
    user_id: int
    fan_ticket: int
    total_linkmic_fan_ticket: int
    channel_id: int
    layout: int
    vendor: int
    rival_anchor_id: int
    scene: int
    def __init__(self, common: _Optional[_Union[CommonMessageData, _Mapping]] = ..., message_type: _Optional[int] = ..., user_id: _Optional[int] = ..., fan_ticket: _Optional[int] = ..., total_linkmic_fan_ticket: _Optional[int] = ..., channel_id: _Optional[int] = ..., layout: _Optional[int] = ..., vendor: _Optional[int] = ..., rival_anchor_id: _Optional[int] = ..., scene: _Optional[int] = ...) -> None: ...

class FanTicketRoomNoticeContent(_message.Message):
    __slots__ = ("total_linkmic_fan_ticket", "match_id", "event_time")
    TOTAL_LINKMIC_FAN_TICKET_FIELD_NUMBER: _ClassVar[int]
    MATCH_ID_FIELD_NUMBER: _ClassVar[int]
    EVENT_TIME_FIELD_NUMBER: _ClassVar[int]
    total_linkmic_fan_ticket: int
    match_id: int
    event_time: int
    def __init__(self, total_linkmic_fan_ticket: _Optional[int] = ..., match_id: _Optional[int] = ..., event_time: _Optional[int] = ...) -> None: ...

class WebcastLinkMicFanTicketMethod(_message.Message):
    __slots__ = ("common", "fan_ticket_room_notice")
    COMMON_FIELD_NUMBER: _ClassVar[int]
    FAN_TICKET_ROOM_NOTICE_FIELD_NUMBER: _ClassVar[int]
    common: CommonMessageData
    fan_ticket_room_notice: FanTicketRoomNoticeContent
    def __init__(self, common: _Optional[_Union[CommonMessageData, _Mapping]] = ..., fan_ticket_room_notice: _Optional[_Union[FanTicketRoomNoticeContent, _Mapping]] = ...) -> None: ...

class WebcastLinkMicLayoutStateMessage(_message.Message):
    __slots__ = ("common", "channel_id", "scene", "version")
    COMMON_FIELD_NUMBER: _ClassVar[int]
    CHANNEL_ID_FIELD_NUMBER: _ClassVar[int]
    SCENE_FIELD_NUMBER: _ClassVar[int]
    VERSION_FIELD_NUMBER: _ClassVar[int]
    common: CommonMessageData
    channel_id: int
    scene: int
    version: int
    def __init__(self, common: _Optional[_Union[CommonMessageData, _Mapping]] = ..., channel_id: _Optional[int] = ..., scene: _Optional[int] = ..., version: _Optional[int] = ...) -> None: ...

class WebcastLinkStateMessage(_message.Message):
    __slots__ = ("common", "channel_id", "scene", "version")
    COMMON_FIELD_NUMBER: _ClassVar[int]
    CHANNEL_ID_FIELD_NUMBER: _ClassVar[int]
    SCENE_FIELD_NUMBER: _ClassVar[int]
    VERSION_FIELD_NUMBER: _ClassVar[int]
    common: CommonMessageData
    channel_id: int
    scene: int
    version: int
    def __init__(self, common: _Optional[_Union[CommonMessageData, _Mapping]] = ..., channel_id: _Optional[int] = ..., scene: _Optional[int] = ..., version: _Optional[int] = ...) -> None: ...

class WebcastUnauthorizedMemberMessage(_message.Message):
    __slots__ = ("common", "action", "nick_name_prefix", "nick_name", "enter_text")
    COMMON_FIELD_NUMBER: _ClassVar[int]
    ACTION_FIELD_NUMBER: _ClassVar[int]
    NICK_NAME_PREFIX_FIELD_NUMBER: _ClassVar[int]
    NICK_NAME_FIELD_NUMBER: _ClassVar[int]
    ENTER_TEXT_FIELD_NUMBER: _ClassVar[int]
    common: CommonMessageData
    action: int
    nick_name_prefix: Text
    nick_name: str
    enter_text: Text
    def __init__(self, common: _Optional[_Union[CommonMessageData, _Mapping]] = ..., action: _Optional[int] = ..., nick_name_prefix: _Optional[_Union[Text, _Mapping]] = ..., nick_name: _Optional[str] = ..., enter_text: _Optional[_Union[Text, _Mapping]] = ...) -> None: ...

class CaptionContent(_message.Message):
    __slots__ = ("lang", "content")
    LANG_FIELD_NUMBER: _ClassVar[int]
    CONTENT_FIELD_NUMBER: _ClassVar[int]
    lang: str
    content: str
    def __init__(self, lang: _Optional[str] = ..., content: _Optional[str] = ...) -> None: ...

class WebcastCaptionMessage(_message.Message):
    __slots__ = ("common", "timestamp_ms", "duration_ms", "content", "sentence_id", "sequence_id", "definite")
    COMMON_FIELD_NUMBER: _ClassVar[int]
    TIMESTAMP_MS_FIELD_NUMBER: _ClassVar[int]
    DURATION_MS_FIELD_NUMBER: _ClassVar[int]
    CONTENT_FIELD_NUMBER: _ClassVar[int]
    SENTENCE_ID_FIELD_NUMBER: _ClassVar[int]
    SEQUENCE_ID_FIELD_NUMBER: _ClassVar[int]
    DEFINITE_FIELD_NUMBER: _ClassVar[int]
    common: CommonMessageData
    timestamp_ms: int
    duration_ms: int
    content: _containers.RepeatedCompositeFieldContainer[CaptionContent]
    sentence_id: int
    sequence_id: int
    definite: bool
    def __init__(self, common: _Optional[_Union[CommonMessageData, _Mapping]] = ..., timestamp_ms: _Optional[int] = ..., duration_ms: _Optional[int] = ..., content: _Optional[_Iterable[_Union[CaptionContent, _Mapping]]] = ..., sentence_id: _Optional[int] = ..., sequence_id: _Optional[int] = ..., definite: _Optional[bool] = ...) -> None: ...

class WebcastInRoomBannerMessage(_message.Message):
    __slots__ = ("common", "json_data")
    COMMON_FIELD_NUMBER: _ClassVar[int]
    JSON_DATA_FIELD_NUMBER: _ClassVar[int]
    common: CommonMessageData
    json_data: str
    def __init__(self, common: _Optional[_Union[CommonMessageData, _Mapping]] = ..., json_data: _Optional[str] = ...) -> None: ...

class PopProduct(_message.Message):
    __slots__ = ("title", "price", "image_url", "product_id")
    TITLE_FIELD_NUMBER: _ClassVar[int]
    PRICE_FIELD_NUMBER: _ClassVar[int]
    IMAGE_URL_FIELD_NUMBER: _ClassVar[int]
    PRODUCT_ID_FIELD_NUMBER: _ClassVar[int]
    title: str
    price: str
    image_url: str
    product_id: int
    def __init__(self, title: _Optional[str] = ..., price: _Optional[str] = ..., image_url: _Optional[str] = ..., product_id: _Optional[int] = ...) -> None: ...

class WebcastOecLiveShoppingMessage(_message.Message):
    __slots__ = ("common", "action_type", "live_product_number", "pop_product")
    COMMON_FIELD_NUMBER: _ClassVar[int]
    ACTION_TYPE_FIELD_NUMBER: _ClassVar[int]
    LIVE_PRODUCT_NUMBER_FIELD_NUMBER: _ClassVar[int]
    POP_PRODUCT_FIELD_NUMBER: _ClassVar[int]
    common: CommonMessageData
    action_type: int
    live_product_number: int
    pop_product: PopProduct
    def __init__(self, common: _Optional[_Union[CommonMessageData, _Mapping]] = ..., action_type: _Optional[int] = ..., live_product_number: _Optional[int] = ..., pop_product: _Optional[_Union[PopProduct, _Mapping]] = ...) -> None: ...

class WebcastMsgDetectMessage(_message.Message):
    __slots__ = ("common", "d_type", "trigger_by", "from_region")
    COMMON_FIELD_NUMBER: _ClassVar[int]
    D_TYPE_FIELD_NUMBER: _ClassVar[int]
    TRIGGER_BY_FIELD_NUMBER: _ClassVar[int]
    FROM_REGION_FIELD_NUMBER: _ClassVar[int]
    common: CommonMessageData
    d_type: int
    trigger_by: int
    from_region: str
    def __init__(self, common: _Optional[_Union[CommonMessageData, _Mapping]] = ..., d_type: _Optional[int] = ..., trigger_by: _Optional[int] = ..., from_region: _Optional[str] = ...) -> None: ...

class WebcastRoomVerifyMessage(_message.Message):
    __slots__ = ("common", "action", "content", "notice_type", "close_room")
    COMMON_FIELD_NUMBER: _ClassVar[int]
    ACTION_FIELD_NUMBER: _ClassVar[int]
    CONTENT_FIELD_NUMBER: _ClassVar[int]
    NOTICE_TYPE_FIELD_NUMBER: _ClassVar[int]
    CLOSE_ROOM_FIELD_NUMBER: _ClassVar[int]
    common: CommonMessageData
    action: int
    content: str
    notice_type: int
    close_room: bool
    def __init__(self, common: _Optional[_Union[CommonMessageData, _Mapping]] = ..., action: _Optional[int] = ..., content: _Optional[str] = ..., notice_type: _Optional[int] = ..., close_room: _Optional[bool] = ...) -> None: ...

class WebcastSystemMessage(_message.Message):
    __slots__ = ("common", "message")
    COMMON_FIELD_NUMBER: _ClassVar[int]
    MESSAGE_FIELD_NUMBER: _ClassVar[int]
    common: CommonMessageData
    message: str
    def __init__(self, common: _Optional[_Union[CommonMessageData, _Mapping]] = ..., message: _Optional[str] = ...) -> None: ...

class WebcastNoticeMessage(_message.Message):
    __slots__ = ("common", "content", "notice_type", "style", "title", "scene")
    COMMON_FIELD_NUMBER: _ClassVar[int]
    CONTENT_FIELD_NUMBER: _ClassVar[int]
    NOTICE_TYPE_FIELD_NUMBER: _ClassVar[int]
    STYLE_FIELD_NUMBER: _ClassVar[int]
    TITLE_FIELD_NUMBER: _ClassVar[int]
    SCENE_FIELD_NUMBER: _ClassVar[int]
    common: CommonMessageData
    content: str
    notice_type: int
    style: str
    title: Text
    scene: str
    def __init__(self, common: _Optional[_Union[CommonMessageData, _Mapping]] = ..., content: _Optional[str] = ..., notice_type: _Optional[int] = ..., style: _Optional[str] = ..., title: _Optional[_Union[Text, _Mapping]] = ..., scene: _Optional[str] = ...) -> None: ...

class WebcastToastMessage(_message.Message):
    __slots__ = ("common", "display_duration_millisecond", "scene")
    COMMON_FIELD_NUMBER: _ClassVar[int]
    DISPLAY_DURATION_MILLISECOND_FIELD_NUMBER: _ClassVar[int]
    SCENE_FIELD_NUMBER: _ClassVar[int]
    common: CommonMessageData
    display_duration_millisecond: int
    scene: str
    def __init__(self, common: _Optional[_Union[CommonMessageData, _Mapping]] = ..., display_duration_millisecond: _Optional[int] = ..., scene: _Optional[str] = ...) -> None: ...

class WebcastGuideMessage(_message.Message):
    __slots__ = ("common", "guide_type", "gift_id", "description", "duration", "scene")
    COMMON_FIELD_NUMBER: _ClassVar[int]
    GUIDE_TYPE_FIELD_NUMBER: _ClassVar[int]
    GIFT_ID_FIELD_NUMBER: _ClassVar[int]
    DESCRIPTION_FIELD_NUMBER: _ClassVar[int]
    DURATION_FIELD_NUMBER: _ClassVar[int]
    SCENE_FIELD_NUMBER: _ClassVar[int]
    common: CommonMessageData
    guide_type: int
    gift_id: int
    description: str
    duration: int
    scene: str
    def __init__(self, common: _Optional[_Union[CommonMessageData, _Mapping]] = ..., guide_type: _Optional[int] = ..., gift_id: _Optional[int] = ..., description: _Optional[str] = ..., duration: _Optional[int] = ..., scene: _Optional[str] = ...) -> None: ...

class WebcastBottomMessage(_message.Message):
    __slots__ = ("common", "content", "duration", "violation_user_id")
    COMMON_FIELD_NUMBER: _ClassVar[int]
    CONTENT_FIELD_NUMBER: _ClassVar[int]
    DURATION_FIELD_NUMBER: _ClassVar[int]
    VIOLATION_USER_ID_FIELD_NUMBER: _ClassVar[int]
    common: CommonMessageData
    content: str
    duration: int
    violation_user_id: int
    def __init__(self, common: _Optional[_Union[CommonMessageData, _Mapping]] = ..., content: _Optional[str] = ..., duration: _Optional[int] = ..., violation_user_id: _Optional[int] = ...) -> None: ...

class WebcastCapsuleMessage(_message.Message):
    __slots__ = ("common", "desc", "button_text", "schema", "scene")
    COMMON_FIELD_NUMBER: _ClassVar[int]
    DESC_FIELD_NUMBER: _ClassVar[int]
    BUTTON_TEXT_FIELD_NUMBER: _ClassVar[int]
    SCHEMA_FIELD_NUMBER: _ClassVar[int]
    SCENE_FIELD_NUMBER: _ClassVar[int]
    common: CommonMessageData
    desc: Text
    button_text: Text
    schema: str
    scene: str
    def __init__(self, common: _Optional[_Union[CommonMessageData, _Mapping]] = ..., desc: _Optional[_Union[Text, _Mapping]] = ..., button_text: _Optional[_Union[Text, _Mapping]] = ..., schema: _Optional[str] = ..., scene: _Optional[str] = ...) -> None: ...

class WebcastBoostCardMessage(_message.Message):
    __slots__ = ("common", "cards")
    COMMON_FIELD_NUMBER: _ClassVar[int]
    CARDS_FIELD_NUMBER: _ClassVar[int]
    common: CommonMessageData
    cards: _containers.RepeatedScalarFieldContainer[bytes]
    def __init__(self, common: _Optional[_Union[CommonMessageData, _Mapping]] = ..., cards: _Optional[_Iterable[bytes]] = ...) -> None: ...

class WebcastAccessControlMessage(_message.Message):
    __slots__ = ("common",)
    COMMON_FIELD_NUMBER: _ClassVar[int]
    common: CommonMessageData
    def __init__(self, common: _Optional[_Union[CommonMessageData, _Mapping]] = ...) -> None: ...

class WebcastAccessRecallMessage(_message.Message):
    __slots__ = ("common", "status", "duration", "end_time", "scene", "notice", "content")
    COMMON_FIELD_NUMBER: _ClassVar[int]
    STATUS_FIELD_NUMBER: _ClassVar[int]
    DURATION_FIELD_NUMBER: _ClassVar[int]
    END_TIME_FIELD_NUMBER: _ClassVar[int]
    SCENE_FIELD_NUMBER: _ClassVar[int]
    NOTICE_FIELD_NUMBER: _ClassVar[int]
    CONTENT_FIELD_NUMBER: _ClassVar[int]
    common: CommonMessageData
    status: int
    duration: int
    end_time: int
    scene: str
    notice: Text
    content: Text
    def __init__(self, common: _Optional[_Union[CommonMessageData, _Mapping]] = ..., status: _Optional[int] = ..., duration: _Optional[int] = ..., end_time: _Optional[int] = ..., scene: _Optional[str] = ..., notice: _Optional[_Union[Text, _Mapping]] = ..., content: _Optional[_Union[Text, _Mapping]] = ...) -> None: ...

class WebcastGiftDynamicRestrictionMessage(_message.Message):
    __slots__ = ("common",)
    COMMON_FIELD_NUMBER: _ClassVar[int]
    common: CommonMessageData
    def __init__(self, common: _Optional[_Union[CommonMessageData, _Mapping]] = ...) -> None: ...

class WebcastGiftPanelUpdateMessage(_message.Message):
    __slots__ = ("common", "room_id", "timestamp")
    COMMON_FIELD_NUMBER: _ClassVar[int]
    ROOM_ID_FIELD_NUMBER: _ClassVar[int]
    TIMESTAMP_FIELD_NUMBER: _ClassVar[int]
    common: CommonMessageData
    room_id: int
    timestamp: int
    def __init__(self, common: _Optional[_Union[CommonMessageData, _Mapping]] = ..., room_id: _Optional[int] = ..., timestamp: _Optional[int] = ...) -> None: ...

class WebcastGiftPromptMessage(_message.Message):
    __slots__ = ("common", "title", "body")
    COMMON_FIELD_NUMBER: _ClassVar[int]
    TITLE_FIELD_NUMBER: _ClassVar[int]
    BODY_FIELD_NUMBER: _ClassVar[int]
    common: CommonMessageData
    title: str
    body: str
    def __init__(self, common: _Optional[_Union[CommonMessageData, _Mapping]] = ..., title: _Optional[str] = ..., body: _Optional[str] = ...) -> None: ...

class WebcastLiveGameIntroMessage(_message.Message):
    __slots__ = ("common", "content", "has_rank_info")
    COMMON_FIELD_NUMBER: _ClassVar[int]
    CONTENT_FIELD_NUMBER: _ClassVar[int]
    HAS_RANK_INFO_FIELD_NUMBER: _ClassVar[int]
    common: CommonMessageData
    content: Text
    has_rank_info: bool
    def __init__(self, common: _Optional[_Union[CommonMessageData, _Mapping]] = ..., content: _Optional[_Union[Text, _Mapping]] = ..., has_rank_info: _Optional[bool] = ...) -> None: ...

class WebcastMarqueeAnnouncementMessage(_message.Message):
    __slots__ = ("common", "message_scene")
    COMMON_FIELD_NUMBER: _ClassVar[int]
    MESSAGE_SCENE_FIELD_NUMBER: _ClassVar[int]
    common: CommonMessageData
    message_scene: str
    def __init__(self, common: _Optional[_Union[CommonMessageData, _Mapping]] = ..., message_scene: _Optional[str] = ...) -> None: ...

class WebcastPartnershipDropsUpdateMessage(_message.Message):
    __slots__ = ("common", "change_mode", "drops_id", "task_id", "event_id", "anchor_uid")
    COMMON_FIELD_NUMBER: _ClassVar[int]
    CHANGE_MODE_FIELD_NUMBER: _ClassVar[int]
    DROPS_ID_FIELD_NUMBER: _ClassVar[int]
    TASK_ID_FIELD_NUMBER: _ClassVar[int]
    EVENT_ID_FIELD_NUMBER: _ClassVar[int]
    ANCHOR_UID_FIELD_NUMBER: _ClassVar[int]
    common: CommonMessageData
    change_mode: int
    drops_id: str
    task_id: str
    event_id: str
    anchor_uid: int
    def __init__(self, common: _Optional[_Union[CommonMessageData, _Mapping]] = ..., change_mode: _Optional[int] = ..., drops_id: _Optional[str] = ..., task_id: _Optional[str] = ..., event_id: _Optional[str] = ..., anchor_uid: _Optional[int] = ...) -> None: ...

class WebcastPartnershipGameOfflineMessage(_message.Message):
    __slots__ = ("common", "offline_game_list")
    COMMON_FIELD_NUMBER: _ClassVar[int]
    OFFLINE_GAME_LIST_FIELD_NUMBER: _ClassVar[int]
    common: CommonMessageData
    offline_game_list: _containers.RepeatedScalarFieldContainer[bytes]
    def __init__(self, common: _Optional[_Union[CommonMessageData, _Mapping]] = ..., offline_game_list: _Optional[_Iterable[bytes]] = ...) -> None: ...

class WebcastPartnershipPunishMessage(_message.Message):
    __slots__ = ("common",)
    COMMON_FIELD_NUMBER: _ClassVar[int]
    common: CommonMessageData
    def __init__(self, common: _Optional[_Union[CommonMessageData, _Mapping]] = ...) -> None: ...

class WebcastPerceptionMessage(_message.Message):
    __slots__ = ("common", "end_time", "show_violation_warning", "toast")
    COMMON_FIELD_NUMBER: _ClassVar[int]
    END_TIME_FIELD_NUMBER: _ClassVar[int]
    SHOW_VIOLATION_WARNING_FIELD_NUMBER: _ClassVar[int]
    TOAST_FIELD_NUMBER: _ClassVar[int]
    common: CommonMessageData
    end_time: int
    show_violation_warning: bool
    toast: Text
    def __init__(self, common: _Optional[_Union[CommonMessageData, _Mapping]] = ..., end_time: _Optional[int] = ..., show_violation_warning: _Optional[bool] = ..., toast: _Optional[_Union[Text, _Mapping]] = ...) -> None: ...

class WebcastSpeakerMessage(_message.Message):
    __slots__ = ("common",)
    COMMON_FIELD_NUMBER: _ClassVar[int]
    common: CommonMessageData
    def __init__(self, common: _Optional[_Union[CommonMessageData, _Mapping]] = ...) -> None: ...

class WebcastSubPinEventMessage(_message.Message):
    __slots__ = ("common", "action_type", "operator_user_id")
    COMMON_FIELD_NUMBER: _ClassVar[int]
    ACTION_TYPE_FIELD_NUMBER: _ClassVar[int]
    OPERATOR_USER_ID_FIELD_NUMBER: _ClassVar[int]
    common: CommonMessageData
    action_type: int
    operator_user_id: int
    def __init__(self, common: _Optional[_Union[CommonMessageData, _Mapping]] = ..., action_type: _Optional[int] = ..., operator_user_id: _Optional[int] = ...) -> None: ...

class WebcastViewerPicksUpdateMessage(_message.Message):
    __slots__ = ("common", "update_type")
    COMMON_FIELD_NUMBER: _ClassVar[int]
    UPDATE_TYPE_FIELD_NUMBER: _ClassVar[int]
    common: CommonMessageData
    update_type: int
    def __init__(self, common: _Optional[_Union[CommonMessageData, _Mapping]] = ..., update_type: _Optional[int] = ...) -> None: ...

class TextKeyView(_message.Message):
    __slots__ = ("key", "default_pattern")
    KEY_FIELD_NUMBER: _ClassVar[int]
    DEFAULT_PATTERN_FIELD_NUMBER: _ClassVar[int]
    key: str
    default_pattern: str
    def __init__(self, key: _Optional[str] = ..., default_pattern: _Optional[str] = ...) -> None: ...

class CommonView(_message.Message):
    __slots__ = ("msg_id", "room_id", "create_time", "display_text")
    MSG_ID_FIELD_NUMBER: _ClassVar[int]
    ROOM_ID_FIELD_NUMBER: _ClassVar[int]
    CREATE_TIME_FIELD_NUMBER: _ClassVar[int]
    DISPLAY_TEXT_FIELD_NUMBER: _ClassVar[int]
    msg_id: int
    room_id: int
    create_time: int
    display_text: TextKeyView
    def __init__(self, msg_id: _Optional[int] = ..., room_id: _Optional[int] = ..., create_time: _Optional[int] = ..., display_text: _Optional[_Union[TextKeyView, _Mapping]] = ...) -> None: ...

class ChatView(_message.Message):
    __slots__ = ("common", "user", "content", "emotes", "content_language", "user_identity", "mention_users")
    COMMON_FIELD_NUMBER: _ClassVar[int]
    USER_FIELD_NUMBER: _ClassVar[int]
    CONTENT_FIELD_NUMBER: _ClassVar[int]
    EMOTES_FIELD_NUMBER: _ClassVar[int]
    CONTENT_LANGUAGE_FIELD_NUMBER: _ClassVar[int]
    USER_IDENTITY_FIELD_NUMBER: _ClassVar[int]
    MENTION_USERS_FIELD_NUMBER: _ClassVar[int]
    common: CommonView
    user: bytes
    content: str
    emotes: _containers.RepeatedCompositeFieldContainer[EmoteWithIndex]
    content_language: str
    user_identity: bytes
    mention_users: _containers.RepeatedScalarFieldContainer[bytes]
    def __init__(self, common: _Optional[_Union[CommonView, _Mapping]] = ..., user: _Optional[bytes] = ..., content: _Optional[str] = ..., emotes: _Optional[_Iterable[_Union[EmoteWithIndex, _Mapping]]] = ..., content_language: _Optional[str] = ..., user_identity: _Optional[bytes] = ..., mention_users: _Optional[_Iterable[bytes]] = ...) -> None: ...

class GiftView(_message.Message):
    __slots__ = ("common", "gift_id", "repeat_count", "user", "to_user", "repeat_end", "group_id", "gift", "user_identity")
    COMMON_FIELD_NUMBER: _ClassVar[int]
    GIFT_ID_FIELD_NUMBER: _ClassVar[int]
    REPEAT_COUNT_FIELD_NUMBER: _ClassVar[int]
    USER_FIELD_NUMBER: _ClassVar[int]
    TO_USER_FIELD_NUMBER: _ClassVar[int]
    REPEAT_END_FIELD_NUMBER: _ClassVar[int]
    GROUP_ID_FIELD_NUMBER: _ClassVar[int]
    GIFT_FIELD_NUMBER: _ClassVar[int]
    USER_IDENTITY_FIELD_NUMBER: _ClassVar[int]
    common: CommonView
    gift_id: int
    repeat_count: int
    user: bytes
    to_user: bytes
    repeat_end: int
    group_id: int
    gift: Gift
    user_identity: bytes
    def __init__(self, common: _Optional[_Union[CommonView, _Mapping]] = ..., gift_id: _Optional[int] = ..., repeat_count: _Optional[int] = ..., user: _Optional[bytes] = ..., to_user: _Optional[bytes] = ..., repeat_end: _Optional[int] = ..., group_id: _Optional[int] = ..., gift: _Optional[_Union[Gift, _Mapping]] = ..., user_identity: _Optional[bytes] = ...) -> None: ...

class LikeView(_message.Message):
    __slots__ = ("common", "count", "total", "user")
    COMMON_FIELD_NUMBER: _ClassVar[int]
    COUNT_FIELD_NUMBER: _ClassVar[int]
    TOTAL_FIELD_NUMBER: _ClassVar[int]
    USER_FIELD_NUMBER: _ClassVar[int]
    common: CommonView
    count: int
    total: int
    user: bytes
    def __init__(self, common: _Optional[_Union[CommonView, _Mapping]] = ..., count: _Optional[int] = ..., total: _Optional[int] = ..., user: _Optional[bytes] = ...) -> None: ...

class MemberView(_message.Message):
    __slots__ = ("common", "user", "member_count", "action")
    COMMON_FIELD_NUMBER: _ClassVar[int]
    USER_FIELD_NUMBER: _ClassVar[int]
    MEMBER_COUNT_FIELD_NUMBER: _ClassVar[int]
    ACTION_FIELD_NUMBER: _ClassVar[int]
    common: CommonView
    user: bytes
    member_count: int
    action: int
    def __init__(self, common: _Optional[_Union[CommonView, _Mapping]] = ..., user: _Optional[bytes] = ..., member_count: _Optional[int] = ..., action: _Optional[int] = ...) -> None: ...

class SocialView(_message.Message):
    __slots__ = ("common", "user", "share_target", "follow_count", "share_count")
    COMMON_FIELD_NUMBER: _ClassVar[int]
    USER_FIELD_NUMBER: _ClassVar[int]
    SHARE_TARGET_FIELD_NUMBER: _ClassVar[int]
    FOLLOW_COUNT_FIELD_NUMBER: _ClassVar[int]
    SHARE_COUNT_FIELD_NUMBER: _ClassVar[int]
    common: CommonView
    user: bytes
    share_target: str
    follow_count: int
    share_count: int
    def __init__(self, common: _Optional[_Union[CommonView, _Mapping]] = ..., user: _Optional[bytes] = ..., share_target: _Optional[str] = ..., follow_count: _Optional[int] = ..., share_count: _Optional[int] = ...) -> None: ...

class ContributorView(_message.Message):
    __slots__ = ("score", "user", "rank")
    SCORE_FIELD_NUMBER: _ClassVar[int]
    USER_FIELD_NUMBER: _ClassVar[int]
    RANK_FIELD_NUMBER: _ClassVar[int]
    score: int
    user: bytes
    rank: int
    def __init__(self, score: _Optional[int] = ..., user: _Optional[bytes] = ..., rank: _Optional[int] = ...) -> None: ...

class RoomUserSeqView(_message.Message):
    __slots__ = ("common", "ranks", "total", "total_user")
    COMMON_FIELD_NUMBER: _ClassVar[int]
    RANKS_FIELD_NUMBER: _ClassVar[int]
    TOTAL_FIELD_NUMBER: _ClassVar[int]
    TOTAL_USER_FIELD_NUMBER: _ClassVar[int]
    common: CommonView
    ranks: _containers.RepeatedCompositeFieldContainer[ContributorView]
    total: int
    total_user: int
    def __init__(self, common: _Optional[_Union[CommonView, _Mapping]] = ..., ranks: _Optional[_Iterable[_Union[ContributorView, _Mapping]]] = ..., total: _Optional[int] = ..., total_user: _Optional[int] = ...) -> None: ...
