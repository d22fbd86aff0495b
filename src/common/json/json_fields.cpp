#include "common/json/json_fields.hpp"

namespace azcm::jsondoc {

namespace {

// "a number", "an object": what a value of the wrong type was, without echoing its content.
std::string describeType(const Json& value) {
    if (value.is_object() || value.is_array()) {
        return std::string("an ") + value.type_name();
    }
    return std::string("a ") + value.type_name();
}

Result<const Json*>
requireMember(const Json& object, std::string_view key, std::string_view source) {
    BOOST_OUTCOME_TRY(member, findMember(object, key, source));
    if (member == nullptr) {
        return makeError(exitcode::kGeneric, fieldName(source, key) + ": missing");
    }
    return member;
}

} // namespace

std::string fieldName(std::string_view source, std::string_view key) {
    return std::string(source) + ": field '" + std::string(key) + "'";
}

Error typeError(std::string_view what, std::string_view expected, const Json& value) {
    return makeError(exitcode::kGeneric, std::string(what) + ": " + std::string(expected) +
                                             " expected, got " + describeType(value));
}

Error rangeError(std::string_view what, std::string_view range, const Json& value) {
    // Only numbers reach this, and their text is short and harmless to print.
    return makeError(exitcode::kGeneric, std::string(what) + ": " + std::string(range) +
                                             " expected, got " + value.dump());
}

Result<std::string> asString(const Json& value, std::string_view what) {
    if (!value.is_string()) {
        return typeError(what, "a string", value);
    }
    return value.get<std::string>();
}

Result<bool> asBool(const Json& value, std::string_view what) {
    if (!value.is_boolean()) {
        return typeError(what, "true or false", value);
    }
    return value.get<bool>();
}

Result<double> asNumber(const Json& value, std::string_view what) {
    if (!value.is_number()) {
        return typeError(what, "a number", value);
    }
    return value.get<double>();
}

Result<const Json*> findMember(const Json& object, std::string_view key, std::string_view source) {
    if (!object.is_object()) {
        return typeError(source, "an object", object);
    }
    const auto it = object.find(key);
    if (it == object.end() || it->is_null()) {
        return nullptr;
    }
    return &*it;
}

Result<std::string> getString(const Json& object, std::string_view key, std::string_view source) {
    BOOST_OUTCOME_TRY(member, requireMember(object, key, source));
    return asString(*member, fieldName(source, key));
}

Result<bool> getBool(const Json& object, std::string_view key, std::string_view source) {
    BOOST_OUTCOME_TRY(member, requireMember(object, key, source));
    return asBool(*member, fieldName(source, key));
}

Result<const Json*> getObject(const Json& object, std::string_view key, std::string_view source) {
    BOOST_OUTCOME_TRY(member, requireMember(object, key, source));
    if (!member->is_object()) {
        return typeError(fieldName(source, key), "an object", *member);
    }
    return member;
}

Result<const Json*> getArray(const Json& object, std::string_view key, std::string_view source) {
    BOOST_OUTCOME_TRY(member, requireMember(object, key, source));
    if (!member->is_array()) {
        return typeError(fieldName(source, key), "an array", *member);
    }
    return member;
}

Result<std::optional<std::string>>
getOptionalString(const Json& object, std::string_view key, std::string_view source) {
    BOOST_OUTCOME_TRY(member, findMember(object, key, source));
    if (member == nullptr) {
        return std::optional<std::string>();
    }
    BOOST_OUTCOME_TRY(text, asString(*member, fieldName(source, key)));
    return std::optional<std::string>(std::move(text));
}

Result<std::optional<bool>>
getOptionalBool(const Json& object, std::string_view key, std::string_view source) {
    BOOST_OUTCOME_TRY(member, findMember(object, key, source));
    if (member == nullptr) {
        return std::optional<bool>();
    }
    BOOST_OUTCOME_TRY(flag, asBool(*member, fieldName(source, key)));
    return std::optional<bool>(flag);
}

Result<const Json*>
getOptionalObject(const Json& object, std::string_view key, std::string_view source) {
    BOOST_OUTCOME_TRY(member, findMember(object, key, source));
    if (member != nullptr && !member->is_object()) {
        return typeError(fieldName(source, key), "an object", *member);
    }
    return member;
}

Result<const Json*>
getOptionalArray(const Json& object, std::string_view key, std::string_view source) {
    BOOST_OUTCOME_TRY(member, findMember(object, key, source));
    if (member != nullptr && !member->is_array()) {
        return typeError(fieldName(source, key), "an array", *member);
    }
    return member;
}

} // namespace azcm::jsondoc
