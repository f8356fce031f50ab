"""Every Arabic word ctreport itself prints, in one place: headings, field labels, the values of
enumerations (relations, kinds, holders), edition titles and notes. The fact base brings its own
names and passages; this module translates only ctreport's vocabulary. English is the key, so a
missing translation falls back to the English text rather than failing."""

from __future__ import annotations

import re

ENGLISH_MARK = "(بالإنجليزية)"
"""Put before a fact's English statement in Arabic output when the fact has no Arabic one."""

LABELS_AR: dict[str, str] = {
    "acronym": "الاختصار",
    "after": "بعد",
    "alongside": "إلى جانب",
    "arrested": "المعتقلون",
    "before": "قبل",
    "body": "الهيئة",
    "body_name": "الهيئة",
    "cells": "الخلايا",
    "change": "التغيير",
    "citation": "الاستشهاد",
    "comparison": "المقارنة",
    "comparison_id": "معرّف المقارنة",
    "conflicts_with": "يتعارض مع",
    "country": "البلد",
    "country_name": "البلد",
    "date": "التاريخ",
    "description": "الوصف",
    "detail": "التفاصيل",
    "edition": "الإصدار",
    "events": "الوقائع",
    "facts": "الحقائق",
    "field": "الحقل",
    "government_sources": "مصادر حكومية",
    "group": "الجماعة",
    "group_name": "الجماعة",
    "holder": "صاحب العضوية",
    "id": "المعرّف",
    "ids": "المعرّفات",
    "in_table": "في الجدول",
    "incidents": "الحوادث",
    "item": "البند",
    "key_phrase": "عبارة دالّة",
    "kind": "النوع",
    "language": "اللغة",
    "matched_in": "موضع التطابق",
    "member": "العضو",
    "member_name": "العضو",
    "name": "الاسم",
    "note": "ملاحظة",
    "operations": "العمليات",
    "partner": "الشريك",
    "partner_kind": "نوع الشريك",
    "partner_name": "الشريك",
    "press_sources": "مصادر صحفية",
    "publisher": "الناشر",
    "quote": "الاقتباس",
    "regions": "المناطق",
    "relation": "العلاقة",
    "report_sources": "مصادر التقرير",
    "score": "الدرجة",
    "section": "القسم",
    "source": "المصدر",
    "source_file": "ملف المصدر",
    "source_kind": "نوع المصدر",
    "source_kinds": "أنواع المصادر",
    "source_title": "عنوان المصدر",
    "source_url": "رابط المصدر",
    "statement": "الحقيقة",
    "style": "الأسلوب",
    "targets": "الأهداف",
    "text": "النص",
    "title": "العنوان",
    "trend": "المنحى",
    "url": "الرابط",
    "value": "القيمة",
    "year": "السنة",
    "year_a": "السنة الأولى",
    "year_b": "السنة الثانية",
}
"""Column labels of terminal tables (the field names themselves stay English in --fields, JSON
and CSV, where they are keys)."""

VALUES_AR: dict[str, str] = {
    # relations
    "strong-cooperation": "تعاون قوي",
    "cooperation": "تعاون",
    "co-chair": "رئاسة مشتركة",
    "founding-member": "عضو مؤسس",
    "member": "عضو",
    "host": "مضيف",
    "designation": "تصنيف",
    "tension": "توتر",
    "assistance": "مساعدة",
    # partner and entity kinds
    "country": "بلد",
    "forum": "منتدى",
    "partnership": "شراكة",
    "exercise": "مناورة",
    "coalition": "تحالف",
    "financing-body": "هيئة مكافحة التمويل",
    "institution": "مؤسسة",
    "organisation": "منظمة",
    "terrorist-group": "جماعة إرهابية",
    "fiu": "وحدة الاستخبارات المالية",
    # fact kinds
    "arrests": "اعتقالات",
    "incidents": "حوادث",
    "threat": "تهديد",
    "strategy": "استراتيجية",
    "capacity": "قدرات",
    "partner": "شريك",
    "financing": "تمويل",
    "cve": "مكافحة التطرف العنيف",
    "assessment": "تقييم",
    "group": "جماعة",
    "legislation": "تشريعات",
    # source kinds and membership holders
    "report": "تقرير",
    "government": "حكومي",
    "press": "صحافة",
    "state": "الدولة",
}
"""Values of enumerations, shown in Arabic in tables and text (JSON keeps the English value)."""

TEXTS_AR: dict[str, str] = {
    # titles of the list commands
    "Terrorism-related arrests": "الاعتقالات المرتبطة بالإرهاب",
    "Terrorist incidents": "الحوادث الإرهابية",
    "Counterterrorism cooperation partners": "شركاء التعاون في مكافحة الإرهاب",
    "Countering the financing of terrorism": "مكافحة تمويل الإرهاب",
    "Terrorist groups named in the reports": "الجماعات الإرهابية المذكورة في التقارير",
    "Coverage of the fact base": "تغطية قاعدة الحقائق",
    "Source documents": "وثائق المصادر",
    "Facts matching '{text}'": "الحقائق المطابقة لـ '{text}'",
    # summary sections and document headings
    "Assessment": "التقييم",
    "Strategy": "الاستراتيجية",
    "Threat": "التهديد",
    "Terrorist groups": "الجماعات الإرهابية",
    "Incidents": "الحوادث",
    "Arrests": "الاعتقالات",
    "Legislation and prosecutions": "التشريعات والملاحقات القضائية",
    "Law enforcement and capacity building": "إنفاذ القانون وبناء القدرات",
    "Partners": "الشركاء",
    "Countering violent extremism": "مكافحة التطرف العنيف",
    "Sources": "المصادر",
    "Source": "المصدر",
    "note": "ملاحظة",
    "disputed by": "تعارضه",
    "In context": "في سياقه",
    "Where in the source": "موضعه في المصدر",
    "Passage": "المقطع",
    "Read from": "مقروء من",
    # footers and notes
    "Source: {sources}. `ctreport show ID` gives a fact's passage.": "المصدر: {sources}. يعرض `ctreport show ID` مقطع الحقيقة.",
    "Left out to fit: {names} (--wide or --fields shows them).": "حُذف لتتسع الشاشة: {names} (يعرضها --wide أو --fields).",
    "Disputed: {pairs}.": "متعارضة: {pairs}.",
    "Addresses ({names}) are left out to fit: --wide shows them.": "حُذفت الروابط ({names}) لتتسع الشاشة: يعرضها --wide.",
    "R: report (the chapter or a verbatim mirror), P: press; the number of facts follows.": (
        "R: تقرير (الفصل أو نسخة حرفية منه)، P: صحافة؛ ويليه عدد الحقائق."
    ),
}

_EDITION_TITLE = r"^Country Reports on Terrorism (\d{4})$"


def label(field: str, lang: str) -> str:
    """A field's column label in `lang` (the field name itself in English)."""
    return LABELS_AR.get(field, field) if lang == "ar" else field


def value(text: str, lang: str) -> str:
    """An enumeration value (relation, kind, holder) in `lang`."""
    return VALUES_AR.get(text, text) if lang == "ar" else text


def translate(text: str, lang: str, **fields: str) -> str:
    """ctreport's own sentence or heading in `lang`, with `{name}` placeholders filled in."""
    if lang == "ar":
        text = TEXTS_AR.get(text, text)
    return text.format(**fields) if fields else text


def edition_title(title: str, lang: str) -> str:
    """'Country Reports on Terrorism 2021' in `lang`."""
    if lang != "ar":
        return title
    return re.sub(_EDITION_TITLE, r"التقارير القطرية عن الإرهاب \1", title)


def in_english(statement: str, lang: str) -> str:
    """An English statement as shown in `lang`: marked as English in Arabic output."""
    return f"{ENGLISH_MARK} {statement}" if lang == "ar" else statement
