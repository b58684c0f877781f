import {
  buildSchema,
  isEnumType,
  isInputObjectType,
  isInterfaceType,
  isIntrospectionType,
  isObjectType,
  isSpecifiedDirective,
  isSpecifiedScalarType,
  type GraphQLArgument,
  type GraphQLSchema,
} from 'graphql';
import { describe, expect, it } from 'vitest';
import { loadTypeDefs } from '../../src/graphql/type-defs.ts';

const hasText = (description: string | null | undefined): boolean => (description ?? '').trim().length > 0;

/** Every schema coordinate (Type, Type.field, Type.field(arg:), @directive(arg:)) without a description. */
function undocumentedCoordinates(schema: GraphQLSchema): string[] {
  const missing: string[] = [];
  const checkArgs = (owner: string, args: readonly GraphQLArgument[]) => {
    for (const arg of args) if (!hasText(arg.description)) missing.push(`${owner}(${arg.name}:)`);
  };
  for (const type of Object.values(schema.getTypeMap())) {
    // graphql-js and the GraphQL spec document these; they are not ours to describe.
    if (isIntrospectionType(type) || isSpecifiedScalarType(type)) continue;
    if (!hasText(type.description)) missing.push(type.name);
    if (isObjectType(type) || isInterfaceType(type)) {
      for (const field of Object.values(type.getFields())) {
        const coordinate = `${type.name}.${field.name}`;
        if (!hasText(field.description)) missing.push(coordinate);
        checkArgs(coordinate, field.args);
      }
    } else if (isInputObjectType(type)) {
      for (const field of Object.values(type.getFields())) {
        if (!hasText(field.description)) missing.push(`${type.name}.${field.name}`);
      }
    } else if (isEnumType(type)) {
      for (const value of type.getValues()) {
        if (!hasText(value.description)) missing.push(`${type.name}.${value.name}`);
      }
    }
  }
  for (const directive of schema.getDirectives()) {
    if (isSpecifiedDirective(directive)) continue;
    if (!hasText(directive.description)) missing.push(`@${directive.name}`);
    checkArgs(`@${directive.name}`, directive.args);
  }
  return missing;
}

describe('the schema documents itself', () => {
  it('gives every type, field, argument, enum value, input field and directive a description', () => {
    expect(undocumentedCoordinates(buildSchema(loadTypeDefs()))).toEqual([]);
  });

  it('names each undocumented coordinate, so the failure says what to write', () => {
    const schema = buildSchema(`
      "Documented."
      type Query {
        "Documented."
        a(x: Int, "Documented." y: Int): Thing
        b: Int
      }
      type Thing { c: Int }
      input Filter { d: Int }
      enum Color { RED "Documented." BLUE }
      "Documented."
      directive @tag(name: String) on FIELD_DEFINITION
    `);
    expect(undocumentedCoordinates(schema).sort()).toEqual(
      ['@tag(name:)', 'Color', 'Color.RED', 'Filter', 'Filter.d', 'Query.a(x:)', 'Query.b', 'Thing', 'Thing.c'].sort(),
    );
  });
});
