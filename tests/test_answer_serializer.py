"""Answers written by an ``AnswerSerializer``: fields built once for the class, shared by every answer."""

from concurrent.futures import ThreadPoolExecutor
from types import SimpleNamespace

import pytest
from rest_framework import serializers

from core.serializers import AnswerSerializer


class Part(serializers.Serializer):
    code = serializers.CharField()


class Answer(AnswerSerializer):
    name = serializers.CharField()
    code = serializers.CharField(source="part.code", allow_null=True, default=None)
    tags = serializers.ListField(child=serializers.CharField())
    parts = Part(many=True)


def thing(n: int, *, with_part: bool = True):
    return SimpleNamespace(
        name=f"thing {n}",
        part=SimpleNamespace(code=f"P{n}") if with_part else None,
        tags=[f"t{n}"] * (n % 3),
        parts=[SimpleNamespace(code=f"Q{n}.{i}") for i in range(n % 2 + 1)],
    )


def expected(n: int, *, with_part: bool = True) -> dict:
    return {
        "name": f"thing {n}",
        "code": f"P{n}" if with_part else None,
        "tags": [f"t{n}"] * (n % 3),
        "parts": [{"code": f"Q{n}.{i}"} for i in range(n % 2 + 1)],
    }


def test_answers_share_one_set_of_fields_and_each_writes_its_own_object():
    first, second = Answer(thing(1)), Answer(thing(2, with_part=False))

    assert first.fields is second.fields
    assert first.data == expected(1)
    assert second.data == expected(2, with_part=False)
    assert Answer(thing(1)).data == expected(1)


def test_answers_written_in_many_threads_at_once_are_each_their_own():
    with ThreadPoolExecutor(max_workers=8) as pool:
        answers = list(pool.map(lambda n: Answer(thing(n)).data, range(400)))

    assert answers == [expected(n) for n in range(400)]


def test_many_answers_at_once():
    assert Answer([thing(3), thing(4)], many=True).data == [expected(3), expected(4)]


def test_an_answer_serializer_takes_no_input():
    with pytest.raises(TypeError, match="takes no data"):
        Answer(data={"name": "x"})


class WithMethod(serializers.Serializer):
    extra = serializers.SerializerMethodField()

    def get_extra(self, obj):
        return self.context["request"].path


@pytest.mark.parametrize(
    "field",
    [
        serializers.SerializerMethodField(),
        WithMethod(many=True),
        serializers.PrimaryKeyRelatedField(read_only=True),
    ],
    ids=["a method field", "one in a nested serializer", "a related field"],
)
def test_a_field_that_needs_the_context_cannot_be_shared(field):
    class NeedsContext(AnswerSerializer):
        name = serializers.CharField()
        extra = field

        def get_extra(self, obj):
            return self.context["request"].path

    with pytest.raises(TypeError, match="'extra' .* cannot be shared"):
        NeedsContext(thing(1)).data
