"""model versions and policies

Revision ID: 0002
Revises: 0001
Create Date: 2026-11-22
"""
from alembic import op
import sqlalchemy as sa


revision = '0002'
down_revision = '0001'
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table('project_policies',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('project_id', sa.Integer(), nullable=False),
    sa.Column('name', sa.String(length=128), nullable=False),
    sa.Column('revision_id', sa.String(length=64), nullable=False),
    sa.Column('document', sa.Text(), nullable=False),
    sa.Column('created_at', sa.Float(), nullable=False),
    sa.Column('updated_at', sa.Float(), nullable=False),
    sa.ForeignKeyConstraint(['project_id'], ['projects.id'], ),
    sa.PrimaryKeyConstraint('id'),
    sa.UniqueConstraint('project_id', 'name')
    )
    with op.batch_alter_table('project_policies', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_project_policies_project_id'), ['project_id'], unique=False)

    op.create_table('project_versions',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('arn', sa.String(length=2048), nullable=False),
    sa.Column('project_id', sa.Integer(), nullable=False),
    sa.Column('name', sa.String(length=255), nullable=False),
    sa.Column('status', sa.String(length=32), nullable=False),
    sa.Column('status_message', sa.Text(), nullable=True),
    sa.Column('created_at', sa.Float(), nullable=False),
    sa.Column('training_end', sa.Float(), nullable=True),
    sa.Column('billable_seconds', sa.Integer(), nullable=True),
    sa.Column('output_bucket', sa.String(length=255), nullable=False),
    sa.Column('output_prefix', sa.String(length=1024), nullable=False),
    sa.Column('kms_key_id', sa.String(length=2048), nullable=True),
    sa.Column('description', sa.String(length=255), nullable=True),
    sa.Column('source_version_arn', sa.String(length=2048), nullable=True),
    sa.Column('training_input', sa.Text(), nullable=True),
    sa.Column('testing_input', sa.Text(), nullable=True),
    sa.Column('outputs', sa.Text(), nullable=True),
    sa.Column('task', sa.String(length=32), nullable=True),
    sa.Column('f1_score', sa.Float(), nullable=True),
    sa.Column('recipe', sa.Text(), nullable=True),
    sa.Column('progress', sa.Text(), nullable=True),
    sa.Column('min_units', sa.Integer(), nullable=True),
    sa.Column('max_units', sa.Integer(), nullable=True),
    sa.ForeignKeyConstraint(['project_id'], ['projects.id'], ),
    sa.PrimaryKeyConstraint('id'),
    sa.UniqueConstraint('arn'),
    sa.UniqueConstraint('project_id', 'name')
    )
    with op.batch_alter_table('project_versions', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_project_versions_project_id'), ['project_id'], unique=False)



def downgrade() -> None:
    with op.batch_alter_table('project_versions', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_project_versions_project_id'))

    op.drop_table('project_versions')
    with op.batch_alter_table('project_policies', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_project_policies_project_id'))

    op.drop_table('project_policies')
